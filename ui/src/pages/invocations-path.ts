import { INVOCATION_STATUSES, type InvocationFilter, type InvocationStatus } from "../api/queries.js";

/** The invocation list's filters and page live in its URL, so a filtered list can be linked and reloaded. */
export function invocationsPath(filter: InvocationFilter, page = 0): string {
  const query = new URLSearchParams();
  if (filter.status !== undefined) query.set("status", filter.status);
  if (filter.service !== undefined) query.set("service", filter.service);
  if (filter.key !== undefined) query.set("key", filter.key);
  if (filter.id !== undefined) query.set("id", filter.id);
  if (filter.deployment !== undefined) query.set("deployment", filter.deployment);
  if (page > 0) query.set("page", String(page));
  const text = query.toString();
  return text === "" ? "invocations" : `invocations?${text}`;
}

export function filterFromQuery(query: URLSearchParams): { filter: InvocationFilter; page: number } {
  const status = query.get("status") ?? "";
  const text = (name: string) => {
    const value = query.get(name)?.trim() ?? "";
    return value === "" ? undefined : value;
  };
  const page = Number(query.get("page") ?? "0");
  return {
    filter: {
      status: (INVOCATION_STATUSES as readonly string[]).includes(status) ? (status as InvocationStatus) : undefined,
      service: text("service"),
      key: text("key"),
      id: text("id"),
      deployment: text("deployment"),
    },
    page: Number.isSafeInteger(page) && page > 0 ? page : 0,
  };
}
