import { utf8Text } from "../../api/bytes.js";
import type { JournalRow } from "../../api/queries.js";

/**
 * The journal as the timeline shows it, read from `sys_journal.entry_json` (serde of Restate 1.7's
 * journal v2 `Entry`: `{"Command":{"Run":{…}}}`, `{"Notification":{"Completion":{"Run":{…}}}}`,
 * `{"Notification":{"Signal":{…}}}`; shapes in test/differential/RESTATE-FACTS.md). Each command is paired
 * with the notifications that complete it, so a run shows its result and a call its callee and answer.
 */

/** A result as a person reads it. */
export type Outcome =
  | { readonly kind: "value"; readonly text: string }
  | { readonly kind: "void" }
  | { readonly kind: "failure"; readonly code: number; readonly message: string }
  | { readonly kind: "pending" };

export interface TimelineEntry {
  readonly index: number;
  readonly kind: "command" | "notification" | "unknown";
  /** `Run`, `Call`, `Sleep`, `SetState`, …; the entry type column when the JSON is not readable. */
  readonly type: string;
  readonly name: string;
  /** What the entry is about: a state key, a call's target, a promise's key. */
  readonly subject?: string;
  /** Its input or value (a payload, a state value). */
  readonly value?: string;
  /** A command's result, from the notification that completed it (or the command itself). */
  readonly outcome?: Outcome;
  readonly appendedAt?: string;
  /** Calls and sends: the invocation they started. */
  readonly calleeId?: string;
  /** Sleeps: when it wakes (ms since the epoch); sends: when it was scheduled for (0 = at once). */
  readonly wakeUpAt?: number;
  /** Notifications: the command entry they complete, and the completion id they carry. */
  readonly completes?: number;
  readonly completionId?: number;
  /** The completion ids the command waits for. */
  readonly awaits: readonly number[];
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** The one key of a serde enum variant and its body: `{"Run":{…}}` → ["Run", {…}]. */
function variant(value: unknown): [string, Json] | undefined {
  if (typeof value === "string") return [value, {}];
  if (!isObject(value)) return undefined;
  const [key] = Object.keys(value);
  if (key === undefined) return undefined;
  const body = value[key];
  return [key, isObject(body) ? body : {}];
}

/** Bytes (serde writes them as arrays of numbers) as text: JSON compact, other UTF-8 as it is, else hex. */
export function bytesPreview(value: unknown, limit = 300): string | undefined {
  if (!Array.isArray(value)) return undefined;
  const bytes = Uint8Array.from(value as number[]);
  if (bytes.length === 0) return "";
  const text = utf8Text(bytes);
  const shown = text ?? `0x${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
  return shown.length > limit ? `${shown.slice(0, limit)}…` : shown;
}

/** `"Void"`, `{"Success":[…]}`, `{"Failure":{code,message}}`. */
function outcomeOf(result: unknown): Outcome | undefined {
  const v = variant(result);
  if (v === undefined) return undefined;
  const [kind, body] = v;
  if (kind === "Void") return { kind: "void" };
  if (kind === "Success") return { kind: "value", text: bytesPreview((result as Json)["Success"]) ?? "" };
  if (kind === "Failure") return { kind: "failure", code: Number(body["code"] ?? 0), message: String(body["message"] ?? "") };
  return undefined;
}

/** `{"Service":{name,handler}}` / `{"VirtualObject":{name,key,handler}}` as `Svc/key/handler`. */
function targetText(target: unknown): string | undefined {
  const v = variant(target);
  if (v === undefined) return undefined;
  const [, t] = v;
  const key = typeof t["key"] === "string" ? `${t["key"]}/` : "";
  return `${String(t["name"])}/${key}${String(t["handler"])}`;
}

/** Every `completion_id` and `*_completion_id` of a command body. */
function completionIds(body: Json): number[] {
  return Object.entries(body)
    .filter(([k, v]) => (k === "completion_id" || k.endsWith("_completion_id")) && typeof v === "number")
    .map(([, v]) => v as number);
}

function commandEntry(row: JournalRow, type: string, body: Json): TimelineEntry {
  const base = { index: row.index, kind: "command" as const, type, name: String(body["name"] ?? row.name ?? ""), awaits: completionIds(body) };
  const appendedAt = row.appended_at === undefined ? {} : { appendedAt: row.appended_at };
  const request = isObject(body["request"]) ? body["request"] : {};
  switch (type) {
    case "Input":
      return { ...base, ...appendedAt, value: bytesPreview(body["payload"]) ?? "" };
    case "Output": {
      const outcome = outcomeOf(body["result"]);
      return { ...base, ...appendedAt, ...(outcome === undefined ? {} : { outcome }) };
    }
    case "GetEagerState":
    case "GetLazyState":
    case "SetState":
    case "ClearState":
    case "GetPromise":
    case "PeekPromise":
    case "CompletePromise": {
      const outcome = outcomeOf(body["result"] ?? body["value"]);
      const value = bytesPreview(body["value"]);
      return {
        ...base,
        ...appendedAt,
        subject: String(body["key"] ?? ""),
        ...(value === undefined ? {} : { value }),
        ...(outcome === undefined || type === "SetState" ? {} : { outcome }),
      };
    }
    case "GetEagerStateKeys":
      return { ...base, ...appendedAt, value: JSON.stringify(body["state_keys"] ?? []) };
    case "Sleep":
      return { ...base, ...appendedAt, wakeUpAt: Number(body["wake_up_time"] ?? 0) };
    case "Call":
    case "OneWayCall": {
      const subject = targetText(request["invocation_target"]);
      const calleeId = typeof request["invocation_id"] === "string" ? request["invocation_id"] : undefined;
      return {
        ...base,
        ...appendedAt,
        ...(subject === undefined ? {} : { subject }),
        value: bytesPreview(request["parameter"]) ?? "",
        ...(calleeId === undefined ? {} : { calleeId }),
        ...(type === "OneWayCall" ? { wakeUpAt: Number(body["invoke_time"] ?? 0) } : {}),
      };
    }
    case "CompleteAwakeable":
    case "SendSignal": {
      const outcome = outcomeOf(body["result"]);
      return { ...base, ...appendedAt, subject: String(body["id"] ?? body["target_invocation_id"] ?? ""), ...(outcome === undefined ? {} : { outcome }) };
    }
    default:
      return { ...base, ...appendedAt };
  }
}

/** Reads the journal's rows and pairs each command with the notifications that complete it. */
export function journalTimeline(rows: readonly JournalRow[]): TimelineEntry[] {
  const entries: TimelineEntry[] = [];
  const awaiting = new Map<number, number>(); // completion id → position of its command in `entries`
  for (const row of rows) {
    let parsed: unknown;
    try {
      parsed = row.entry_json === undefined ? undefined : JSON.parse(row.entry_json);
    } catch {
      parsed = undefined;
    }
    const top = variant(parsed);
    const inner = top === undefined ? undefined : variant((parsed as Json)[top[0]]);
    if (top?.[0] === "Command" && inner !== undefined) {
      const entry = commandEntry(row, inner[0], inner[1]);
      // A command without its result yet waits for the notification with its (result) completion id.
      for (const id of entry.awaits) awaiting.set(id, entries.length);
      const open = entry.awaits.length > 0 && entry.type !== "OneWayCall" && entry.outcome === undefined;
      entries.push(open ? { ...entry, outcome: { kind: "pending" } } : entry);
      continue;
    }
    if (top?.[0] === "Notification" && inner !== undefined) {
      const [how, body] = inner;
      const completion = how === "Completion" ? variant((body as Json)) : undefined;
      const type = completion?.[0] ?? how;
      const details = completion?.[1] ?? body;
      const id = typeof details["completion_id"] === "number" ? details["completion_id"] : undefined;
      const outcome = outcomeOf(details["result"]) ?? (type === "Sleep" ? { kind: "void" as const } : undefined);
      const position = id === undefined ? undefined : awaiting.get(id);
      const command = position === undefined ? undefined : entries[position];
      if (command !== undefined && position !== undefined && outcome !== undefined && type !== "CallInvocationId") entries[position] = { ...command, outcome };
      entries.push({
        index: row.index,
        kind: "notification",
        type,
        name: "",
        awaits: [],
        ...(row.appended_at === undefined ? {} : { appendedAt: row.appended_at }),
        ...(outcome === undefined ? {} : { outcome }),
        ...(typeof details["invocation_id"] === "string" ? { calleeId: details["invocation_id"] } : {}),
        ...(command === undefined ? {} : { completes: command.index }),
        ...(id === undefined ? {} : { completionId: id }),
        ...(how === "Signal" ? { subject: JSON.stringify(details["id"]) } : {}),
      });
      continue;
    }
    entries.push({ index: row.index, kind: "unknown", type: row.entry_type, name: row.name ?? "", awaits: [] });
  }
  return entries;
}

/**
 * The entries a restart-as-new may start from (`?from=N` copies entries 0 to N, and the later
 * completions of the commands copied): those where no copied command waits for a completion that never
 * came (stet and Restate refuse such a cut). The output is no starting point: from there nothing is left to run.
 */
export function restartPoints(entries: readonly TimelineEntry[]): Set<number> {
  const arrived = new Set(entries.flatMap((e) => (e.completionId === undefined ? [] : [e.completionId])));
  const points = new Set<number>();
  let missing = false;
  for (const e of entries) {
    if (e.kind === "unknown") break;
    if (e.awaits.some((id) => !arrived.has(id))) missing = true;
    if (!missing && e.type !== "Output") points.add(e.index);
  }
  return points;
}

/**
 * The journal entry the last failure happened at: Restate 1.7 names it by command index (commands only,
 * the input being command 0), older servers by entry index.
 */
export function failedEntryIndex(entries: readonly TimelineEntry[], failure: { entryIndex?: number | undefined; commandIndex?: number | undefined }): number | undefined {
  if (failure.commandIndex !== undefined) return entries.filter((e) => e.kind === "command")[failure.commandIndex]?.index;
  return failure.entryIndex;
}
