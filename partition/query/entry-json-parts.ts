import { partitionKeyForKey } from "../../protocol/index.js";
import { partitionKeyForTarget } from "../apply/invocation-ids.js";

/**
 * Pieces of the JSON Restate 1.7 writes for journal entries (serde_json of its journal_v2 types, as
 * `sys_journal.entry_json` / `entry_lite_json` carry them; shapes in test/differential/RESTATE-FACTS.md).
 * Written as text, field by field, because the CLI and the web UI read fields by name in Restate's order
 * and the CLI deserializes `entry_json` into Restate's own types: every field must be there, typed.
 */

/** A JSON string (serde_json and JSON.stringify escape alike: `"`, `\`, control characters). */
export const str = (s: string): string => JSON.stringify(s);

export const strOrNull = (s: string | undefined): string => (s === undefined ? "null" : str(s));

/** serde writes `Bytes` as an array of numbers. */
export const bytes = (b: Uint8Array | undefined): string => (b === undefined || b.length === 0 ? "[]" : `[${b.join(",")}]`);

/** A `u64` that may exceed 2^53 (partition keys), written exactly. */
export const u64 = (n: bigint): string => n.toString();

export interface FailureLike {
  readonly code: number;
  readonly message: string;
  readonly metadata: ReadonlyArray<{ readonly key: string; readonly value: string }>;
}

/** `Failure`: `metadata` is left out when empty. */
export function failure(f: FailureLike): string {
  const metadata = f.metadata.length === 0 ? "" : `,"metadata":[${f.metadata.map((m) => `{"key":${str(m.key)},"value":${str(m.value)}}`).join(",")}]`;
  return `{"code":${f.code},"message":${str(f.message)}${metadata}}`;
}

export const headers = (hs: ReadonlyArray<{ readonly key: string; readonly value: string }>): string =>
  `[${hs.map((h) => `{"name":${str(h.key)},"value":${str(h.value)}}`).join(",")}]`;

/** A result oneof of the protocol (`void` / `value` / `failure`) as Restate's enum: `"Void"`, `{"Success":[…]}`, `{"Failure":{…}}`. */
export function result(r: { readonly case: string | undefined; readonly value?: unknown }): string | undefined {
  switch (r.case) {
    case "void":
      return `"Void"`;
    case "value":
    case "completionValue":
      return `{"Success":${bytes((r.value as { content: Uint8Array }).content)}}`;
    case "failure":
    case "completionFailure":
      return `{"Failure":${failure(r.value as FailureLike)}}`;
    default:
      return undefined;
  }
}

/** The same result as EntryLite names it: `"Void"`, `"Success"`, `"Failure"`. */
export function resultLite(r: { readonly case: string | undefined }): string | undefined {
  switch (r.case) {
    case "void":
      return `"Void"`;
    case "value":
    case "completionValue":
      return `"Success"`;
    case "failure":
    case "completionFailure":
      return `"Failure"`;
    default:
      return undefined;
  }
}

/** `std::time::Duration` as serde writes it. */
export const duration = (ms: number): string => `{"secs":${Math.floor(ms / 1000)},"nanos":${(ms % 1000) * 1_000_000}}`;

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** A state key as Restate's `ByteString`: keys that are not UTF-8 make the entry undecodable (null), as in Restate. */
export function utf8Key(key: Uint8Array): string {
  return str(UTF8.decode(key));
}

/** The callee of a call as the partition started it: what `InvocationTarget` needs beyond the frame. */
export interface Callee {
  readonly id: string | null;
  /** `SERVICE`, `VIRTUAL_OBJECT` or `WORKFLOW`; null when the callee's row is gone (purged). */
  readonly serviceType: string | null;
  /** `EXCLUSIVE`, `SHARED` or `WORKFLOW`; null for plain services or when unknown. */
  readonly handlerType: string | null;
  readonly retentionMs: number | null;
}

/** `InvocationTarget`. Without the callee's row, a keyed target is taken for an object's exclusive handler. */
export function invocationTarget(service: string, handler: string, key: string, scope: string | undefined, callee: Callee): string {
  const type = callee.serviceType ?? (key === "" ? "SERVICE" : "VIRTUAL_OBJECT");
  const tail = `"handler":${str(handler)}`;
  if (type === "SERVICE") return `{"Service":{"name":${str(service)},${tail},"scope":${strOrNull(scope)}}}`;
  const workflow = type === "WORKFLOW";
  const handlerTy = callee.handlerType === "SHARED" ? "Shared" : workflow ? "Workflow" : "Exclusive";
  return `{"${workflow ? "Workflow" : "VirtualObject"}":{"name":${str(service)},"key":${str(key)},${tail},"handler_ty":"${handlerTy}","scope":${strOrNull(scope)}}}`;
}

type AttachTarget =
  | { readonly case: "invocationId"; readonly value: string }
  | { readonly case: "idempotentRequestTarget"; readonly value: { serviceName: string; serviceKey?: string; handlerName: string; idempotencyKey: string; scope?: string } }
  | { readonly case: "workflowTarget"; readonly value: { workflowName: string; workflowKey: string; scope?: string } }
  | { readonly case: undefined; readonly value?: undefined };

/** `AttachInvocationTarget`; partition keys are stet's own (Restate's are internal to a server too). */
export function attachTarget(t: AttachTarget): string | undefined {
  switch (t.case) {
    case "invocationId":
      return `{"InvocationId":${str(t.value)}}`;
    case "idempotentRequestTarget": {
      const v = t.value;
      const key = partitionKeyForTarget({ service: v.serviceName, handler: v.handlerName, key: v.serviceKey ?? "" }, v.idempotencyKey)!;
      return `{"IdempotentRequest":{"service_name":${str(v.serviceName)},"service_key":${strOrNull(v.serviceKey)},"service_handler":${str(v.handlerName)},"idempotency_key":${str(v.idempotencyKey)},"scope":${strOrNull(v.scope)},"partition_key":${u64(key)}}}`;
    }
    case "workflowTarget": {
      const v = t.value;
      const key = partitionKeyForKey(v.workflowName, v.workflowKey);
      return `{"Workflow":{"service_name":${str(v.workflowName)},"key":${str(v.workflowKey)},"partition_key":${u64(key)},"scope":${strOrNull(v.scope)}}}`;
    }
    default:
      return undefined;
  }
}

/** `SignalId` of a SendSignal command: `{"Index":n}` or `{"Name":"…"}`. */
export function signalId(id: { readonly case: string | undefined; readonly value?: unknown }): string | undefined {
  if (id.case === "idx") return `{"Index":${id.value as number}}`;
  if (id.case === "name") return `{"Name":${str(id.value as string)}}`;
  return undefined;
}
