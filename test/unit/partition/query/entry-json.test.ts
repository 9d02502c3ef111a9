import { describe, expect, it } from "vitest";
import type { Callee } from "../../../../partition/query/entry-json-parts.js";
import { entryJson, type DecodedEntry } from "../../../../partition/query/entry-json.js";
import { entryLiteJson } from "../../../../partition/query/entry-lite-json.js";
import {
  MessageType,
  NotificationTemplateSchema,
  create,
  decodeMessage,
  decodeNotification,
  encodeMessage,
  partitionKeyForKey,
  toBinary,
  type KnownMessageType,
  type MessageInitShape,
  type MessageOf,
} from "../../../../protocol/index.js";
import { messageSchemas } from "../../../../protocol/messages.js";

// Entries the integration scenario does not produce (lazy state, signals, attach, workflow callees, failure
// metadata), in the shapes of Restate 1.7's serde of journal_v2 (crates/types/src/journal_v2, as
// RESTATE-FACTS.md records): what the CLI deserializes and the web UI reads.

const NO_CALLEE: Callee = { id: null, serviceType: null, handlerType: null, retentionMs: null };

function command<T extends KnownMessageType>(type: T, init: MessageInitShape<(typeof messageSchemas)[T]>): DecodedEntry {
  const message = create(messageSchemas[type], init as never) as MessageOf<T>;
  return { kind: "command", type, message: decodeMessage(type, encodeMessage(type, message)) as { name?: string } };
}

function notification(type: number, init: MessageInitShape<typeof NotificationTemplateSchema>): DecodedEntry {
  return { kind: "notification", type, message: decodeNotification(toBinary(NotificationTemplateSchema, create(NotificationTemplateSchema, init))) };
}

const both = (entry: DecodedEntry, callee = NO_CALLEE) => ({ json: parse(entryJson(entry, callee)), lite: parse(entryLiteJson(entry, callee)) });
const parse = (text: string | undefined): unknown => (text === undefined ? undefined : JSON.parse(text));
const bytes = (s: string) => [...Buffer.from(s)];

describe("entry JSON of lazy state", () => {
  it("GetLazyState and its completion, void or with a value", () => {
    expect(both(command(MessageType.GetLazyStateCommand, { key: Buffer.from("k"), resultCompletionId: 2, name: "" }))).toEqual({
      json: { Command: { GetLazyState: { key: "k", completion_id: 2, name: "" } } },
      lite: { Command: { GetLazyState: { key: "k", completion_id: 2 } } },
    });
    expect(both(notification(MessageType.GetLazyStateCompletionNotification, { id: { case: "completionId", value: 2 }, result: { case: "void", value: {} } }))).toEqual({
      json: { Notification: { Completion: { GetLazyState: { completion_id: 2, result: "Void" } } } },
      lite: { Notification: { ty: { Completion: "GetLazyState" }, id: { CompletionId: 2 }, result: "Void" } },
    });
    const withValue = notification(MessageType.GetLazyStateCompletionNotification, { id: { case: "completionId", value: 2 }, result: { case: "value", value: { content: Buffer.from("7") } } });
    expect(both(withValue).json).toEqual({ Notification: { Completion: { GetLazyState: { completion_id: 2, result: { Success: [55] } } } } });
  });

  it("GetLazyStateKeys and its completion (lite result `StateKeys`)", () => {
    expect(both(command(MessageType.GetLazyStateKeysCommand, { resultCompletionId: 3, name: "keys" }))).toEqual({
      json: { Command: { GetLazyStateKeys: { completion_id: 3, name: "keys" } } },
      lite: { Command: { GetLazyStateKeys: { completion_id: 3 } } },
    });
    const keys = notification(MessageType.GetLazyStateKeysCompletionNotification, {
      id: { case: "completionId", value: 3 },
      result: { case: "stateKeys", value: { keys: [Buffer.from("a"), Buffer.from("b")] } },
    });
    expect(both(keys)).toEqual({
      json: { Notification: { Completion: { GetLazyStateKeys: { completion_id: 3, state_keys: ["a", "b"] } } } },
      lite: { Notification: { ty: { Completion: "GetLazyStateKeys" }, id: { CompletionId: 3 }, result: "StateKeys" } },
    });
  });

  it("shows no JSON for a state key that is not UTF-8, as Restate cannot decode it either", () => {
    const entry = command(MessageType.SetStateCommand, { key: new Uint8Array([0xff, 0xfe]), value: { content: new Uint8Array() } });
    expect(() => entryJson(entry, NO_CALLEE)).toThrow();
    expect(() => entryLiteJson(entry, NO_CALLEE)).toThrow();
  });
});

describe("entry JSON of signals and attach", () => {
  it("SendSignal names the entry by its entry_name and the signal by index or name", () => {
    const cancel = command(MessageType.SendSignalCommand, { targetInvocationId: "inv_1x", signalId: { case: "idx", value: 1 }, result: { case: "void", value: {} }, entryName: "stop" });
    expect(both(cancel)).toEqual({
      json: { Command: { SendSignal: { target_invocation_id: "inv_1x", signal_id: { Index: 1 }, result: "Void", name: "stop" } } },
      lite: { Command: { SendSignal: { target_invocation_id: "inv_1x", signal_id: { Index: 1 }, result: "Void" } } },
    });
    const named = command(MessageType.SendSignalCommand, { targetInvocationId: "inv_1x", signalId: { case: "name", value: "go" }, result: { case: "value", value: { content: Buffer.from("1") } } });
    expect(both(named).json).toEqual({ Command: { SendSignal: { target_invocation_id: "inv_1x", signal_id: { Name: "go" }, result: { Success: [49] }, name: "" } } });
  });

  it("a named signal with a failure that carries metadata", () => {
    const signal = notification(MessageType.SignalNotification, {
      id: { case: "signalName", value: "go" },
      result: { case: "failure", value: { code: 409, message: "no", metadata: [{ key: "why", value: "late" }] } },
    });
    expect(both(signal)).toEqual({
      json: { Notification: { Signal: { id: { Name: "go" }, result: { Failure: { code: 409, message: "no", metadata: [{ key: "why", value: "late" }] } } } } },
      lite: { Notification: { ty: "Signal", id: { SignalName: "go" }, result: "Failure" } },
    });
  });

  it("AttachInvocation by invocation id, and GetInvocationOutput of a workflow (with stet's partition key)", () => {
    expect(both(command(MessageType.AttachInvocationCommand, { target: { case: "invocationId", value: "inv_1x" }, resultCompletionId: 4 }))).toEqual({
      json: { Command: { AttachInvocation: { target: { InvocationId: "inv_1x" }, completion_id: 4, name: "" } } },
      lite: { Command: { AttachInvocation: { target: { InvocationId: "inv_1x" }, completion_id: 4 } } },
    });
    const output = command(MessageType.GetInvocationOutputCommand, { target: { case: "workflowTarget", value: { workflowName: "Wf", workflowKey: "k" } }, resultCompletionId: 5 });
    // Checked on the text: the key is a u64 beyond 2^53, which JSON.parse would round.
    expect(entryJson(output, NO_CALLEE)).toBe(
      `{"Command":{"GetInvocationOutput":{"target":{"Workflow":{"service_name":"Wf","key":"k","partition_key":${partitionKeyForKey("Wf", "k")},"scope":null}},"completion_id":5,"name":""}}}`,
    );
  });
});

describe("entry JSON of calls", () => {
  const call = (init: { serviceName?: string; handlerName?: string; idempotencyKey?: string; headers?: Array<{ key: string; value: string }> }) =>
    command(MessageType.CallCommand, { serviceName: "Wf", handlerName: "run", key: "k", parameter: Buffer.from("1"), invocationIdNotificationIdx: 1, resultCompletionId: 2, ...init });

  it("names a workflow callee's run handler, its idempotency key and its retention", () => {
    const callee: Callee = { id: "inv_1callee", serviceType: "WORKFLOW", handlerType: "WORKFLOW", retentionMs: 3_600_500 };
    const { json, lite } = both(call({ idempotencyKey: "once", headers: [{ key: "h", value: "v" }] }), callee);
    const target = { Workflow: { name: "Wf", key: "k", handler: "run", handler_ty: "Workflow", scope: null } };
    expect(json).toMatchObject({
      Command: {
        Call: {
          request: {
            invocation_id: "inv_1callee",
            invocation_target: target,
            parameter: bytes("1"),
            headers: [{ name: "h", value: "v" }],
            idempotency_key: "once",
            completion_retention_duration: { secs: 3600, nanos: 500_000_000 },
            journal_retention_duration: { secs: 3600, nanos: 500_000_000 },
          },
        },
      },
    });
    expect(lite).toEqual({ Command: { Call: { invocation_id: "inv_1callee", invocation_target: target, invocation_id_completion_id: 1, result_completion_id: 2 } } });
  });

  it("without the callee's row (purged) takes a keyed callee for an object's exclusive handler, and the id as unknown", () => {
    expect(both(call({ serviceName: "Obj", handlerName: "add" })).lite).toEqual({
      Command: {
        Call: {
          invocation_id: null,
          invocation_target: { VirtualObject: { name: "Obj", key: "k", handler: "add", handler_ty: "Exclusive", scope: null } },
          invocation_id_completion_id: 1,
          result_completion_id: 2,
        },
      },
    });
  });
});
