import { SORTS, type Cursor, type ListFilter, type SortKey } from "../../api/invocation-list.js";
import { INVOCATION_STATUSES, type InvocationStatus } from "../../api/queries.js";

/**
 * The invocation list's filters, sort and page live in its address, so a list can be linked and
 * reloaded: `invocations?service=Shop&status=running&sort=created_asc&after=2025-…Z|inv_…`.
 */
export interface ListView {
  readonly sort: SortKey;
  /** Rows a page; default 50. */
  readonly size?: number | undefined;
  readonly after?: Cursor | undefined;
  readonly before?: Cursor | undefined;
}

const FILTER_PARAMS: ReadonlyArray<readonly [keyof ListFilter, string]> = [
  ["status", "status"],
  ["service", "service"],
  ["handler", "handler"],
  ["key", "key"],
  ["id", "id"],
  ["idempotencyKey", "idempotency_key"],
  ["deployment", "deployment"],
  ["createdAfter", "created_after"],
  ["createdBefore", "created_before"],
];

export const DEFAULT_SORT: SortKey = "created_desc";
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

export function invocationsPath(filter: ListFilter, view: ListView = { sort: DEFAULT_SORT }): string {
  const query = new URLSearchParams();
  for (const [field, param] of FILTER_PARAMS) {
    const value = filter[field];
    if (value !== undefined) query.set(param, value);
  }
  if (view.sort !== DEFAULT_SORT) query.set("sort", view.sort);
  if (view.size !== undefined && view.size !== DEFAULT_PAGE_SIZE) query.set("size", String(view.size));
  if (view.after !== undefined) query.set("after", `${view.after.value}|${view.after.id}`);
  else if (view.before !== undefined) query.set("before", `${view.before.value}|${view.before.id}`);
  const text = query.toString();
  return text === "" ? "invocations" : `invocations?${text}`;
}

export function listFromQuery(query: URLSearchParams): { filter: ListFilter; view: ListView } {
  const text = (name: string) => {
    const value = query.get(name)?.trim() ?? "";
    return value === "" ? undefined : value;
  };
  const filter: Record<string, string | undefined> = {};
  for (const [field, param] of FILTER_PARAMS) filter[field] = text(param);
  const status = filter["status"];
  if (status !== undefined && !(INVOCATION_STATUSES as readonly string[]).includes(status)) filter["status"] = undefined;
  for (const field of ["createdAfter", "createdBefore"]) {
    const value = filter[field];
    if (value !== undefined && Number.isNaN(Date.parse(value))) filter[field] = undefined;
  }
  const sort = query.get("sort") ?? "";
  const size = Number(query.get("size") ?? DEFAULT_PAGE_SIZE);
  return {
    filter: { ...filter, status: filter["status"] as InvocationStatus | undefined },
    view: {
      sort: sort in SORTS ? (sort as SortKey) : DEFAULT_SORT,
      size: Number.isSafeInteger(size) && size > 0 && size <= MAX_PAGE_SIZE ? size : DEFAULT_PAGE_SIZE,
      after: cursor(query.get("after")), before: cursor(query.get("before")),
    },
  };
}

function cursor(text: string | null): Cursor | undefined {
  if (text === null) return undefined;
  const bar = text.lastIndexOf("|");
  if (bar <= 0 || bar === text.length - 1 || Number.isNaN(Date.parse(text.slice(0, bar)))) return undefined;
  return { value: text.slice(0, bar), id: text.slice(bar + 1) };
}
