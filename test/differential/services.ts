import * as restate from "@restatedev/restate-sdk";
import { pollUntil, type Target } from "./harness.js";

/**
 * Official-SDK services shared by the differential scenarios. One endpoint serves them to both servers,
 * so any per-call state lives in maps keyed by something unique to one server's run (the invocation id
 * or a key tagged with the target).
 */

// Gates released by the test: a handler parked on one stays "running" until the test opens it.
interface Gate {
  readonly promise: Promise<void>;
  open(): void;
}
const gates = new Map<string, Gate>();
function gate(key: string): Gate {
  let g = gates.get(key);
  if (g === undefined) {
    let open!: () => void;
    const promise = new Promise<void>((resolve) => (open = resolve));
    g = { promise, open };
    gates.set(key, g);
  }
  return g;
}
export const openGate = (key: string): void => gate(key).open();

const attempts = new Map<string, number>();

// Fast retries keep the suite short; both servers honour the manifest's retry policy.
const fastRetries = { retryPolicy: { initialInterval: 20, maxInterval: 100 } };

export const greeter = restate.service({
  name: "DiffGreeter",
  handlers: {
    greet: async (_ctx: restate.Context, name: string) => `Hello, ${name}!`,
    echo: async (_ctx: restate.Context, value: unknown) => value,
    nothing: async (_ctx: restate.Context): Promise<void> => {},
    noInput: async (ctx: restate.Context) => ({ service: ctx.request().target.service, handler: ctx.request().target.handler }),
    failCustom: async (): Promise<string> => {
      throw new restate.TerminalError("custom failure", { errorCode: 409 });
    },
    failDefault: async (): Promise<string> => {
      throw new restate.TerminalError("default failure");
    },
    flaky: async (ctx: restate.Context, input: { value: number }) => {
      const id = ctx.request().id;
      const n = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, n);
      if (n <= 2) throw new Error(`transient failure ${n}`);
      const stepped = await ctx.run("step", () => input.value + 1);
      return { value: stepped, attempts: n };
    },
    parked: async (_ctx: restate.Context, key: string) => {
      await gate(key).promise;
      return "released";
    },
  },
  options: fastRetries,
});

/** A counter per key: exclusive `add` and `clear`, shared `get` and `keyOf`. */
export const counter = restate.object({
  name: "DiffCounter",
  handlers: {
    add: async (ctx: restate.ObjectContext, n: number) => {
      const next = ((await ctx.get<number>("count")) ?? 0) + n;
      ctx.set("count", next);
      return next;
    },
    get: restate.handlers.object.shared(async (ctx: restate.ObjectSharedContext) => (await ctx.get<number>("count")) ?? 0),
    keyOf: restate.handlers.object.shared(async (ctx: restate.ObjectSharedContext) => ctx.key),
    clear: async (ctx: restate.ObjectContext): Promise<void> => {
      ctx.clearAll();
    },
  },
});

/** Calls and one-way sends to other services, objects, with terminal errors passed through or caught. */
export const caller = restate.service({
  name: "DiffCaller",
  handlers: {
    greetVia: async (ctx: restate.Context, name: string) => ctx.serviceClient(greeter).greet(name),
    failVia: async (ctx: restate.Context) => ctx.serviceClient(greeter).failCustom(),
    catchVia: async (ctx: restate.Context) => {
      try {
        await ctx.serviceClient(greeter).failCustom();
        return "no error";
      } catch (error) {
        const e = error as restate.TerminalError;
        return { terminal: e instanceof restate.TerminalError, code: e.code, message: e.message };
      }
    },
    addVia: async (ctx: restate.Context, key: string) => ctx.objectClient(counter, key).add(7),
    sendVia: async (ctx: restate.Context, key: string) => {
      const handle = ctx.objectSendClient(counter, key).add(1);
      const id = await handle.invocationId;
      return { sent: typeof id === "string" && id.startsWith("inv_1") };
    },
  },
});

// How often `DiffTicketer/issue` really ran per input, so a deduplicated call shows in its result.
const executions = new Map<string, number>();

export const ticketer = restate.service({
  name: "DiffTicketer",
  handlers: {
    issue: async (ctx: restate.Context, name: string) => {
      const n = await ctx.run("count", () => {
        const next = (executions.get(name) ?? 0) + 1;
        executions.set(name, next);
        return next;
      });
      return { name, execution: n };
    },
  },
});

// Awakeable ids by the key the test passed in; the test resolves them through ingress.
const awakeableIds = new Map<string, string>();

/** Waits on an awakeable (stays suspended until the test completes it, or cancels or kills it). */
export const waiter = restate.service({
  name: "DiffWaiter",
  handlers: {
    wait: async (ctx: restate.Context, key: string) => {
      const awakeable = ctx.awakeable<unknown>();
      awakeableIds.set(key, awakeable.id);
      return { got: await awakeable.promise };
    },
  },
});

/** Sends `DiffWaiter/wait` for `key` (with `headers`); resolves once the handler created its awakeable. */
export async function startWaiting(t: Target, key: string, headers?: Record<string, string>): Promise<{ invocationId: string; awakeableId: string }> {
  const sent = await t.call(`/DiffWaiter/wait/send`, key, headers === undefined ? undefined : { headers });
  const awakeableId = await pollUntil(() => awakeableIds.get(key), `awakeable of ${key}`);
  return { invocationId: sent.invocationId!, awakeableId };
}

/** Fails retryably with a long backoff, so it is found backing off for the whole test. */
export const stubborn = restate.service({
  name: "DiffStubborn",
  handlers: {
    fail: async (): Promise<string> => {
      throw new Error("always failing");
    },
  },
  options: { retryPolicy: { initialInterval: 60_000, maxInterval: 60_000 } },
});

export const sleeper = restate.service({
  name: "DiffSleeper",
  handlers: {
    nap: async (ctx: restate.Context, ms: number) => {
      await ctx.sleep(ms);
      return `slept ${ms}`;
    },
    hello: async (_ctx: restate.Context, name: string) => `Hello, ${name}!`,
  },
});

/** A workflow whose `run` waits on the durable promise `decision`, which the shared `decide` resolves. */
export const approvalFlow = restate.workflow({
  name: "DiffWorkflow",
  handlers: {
    run: async (ctx: restate.WorkflowContext, input: string) => {
      const decision = await ctx.promise<string>("decision");
      return `${input}: ${decision}`;
    },
    decide: restate.handlers.workflow.shared(async (ctx: restate.WorkflowSharedContext, decision: string) => {
      await ctx.promise<string>("decision").resolve(decision);
    }),
    peek: restate.handlers.workflow.shared(
      async (ctx: restate.WorkflowSharedContext) => (await ctx.promise<string>("decision").peek()) ?? null,
    ),
  },
});

/** A workflow whose run keeps its input in the state `note` and waits on the promise `done`. */
export const notebook = restate.workflow({
  name: "DiffNotebook",
  handlers: {
    run: async (ctx: restate.WorkflowContext, note: string) => {
      ctx.set("note", note);
      return `${note}: ${await ctx.promise<string>("done")}`;
    },
    finish: restate.handlers.workflow.shared(async (ctx: restate.WorkflowSharedContext, how: string) => {
      await ctx.promise<string>("done").resolve(how);
    }),
    read: restate.handlers.workflow.shared(async (ctx: restate.WorkflowSharedContext) => ({
      note: (await ctx.get<string>("note")) ?? null,
      done: (await ctx.promise<string>("done").peek()) ?? null,
    })),
  },
});

/**
 * Asks for `DiffTicketer/issue` (or a `DiffWorkflow` run) twice with one idempotency key (one workflow
 * key), both asked before either is awaited, and returns the invocation ids it was told (through the
 * SDK's `InvocationHandle.invocationId`) and the results.
 */
export const repeater = restate.service({
  name: "DiffRepeater",
  handlers: {
    callTwice: async (ctx: restate.Context, key: string) => {
      const issue = () => ctx.serviceClient(ticketer).issue(`call-${key}`, restate.rpc.opts({ idempotencyKey: key }));
      const [first, second] = [issue(), issue()];
      return { ids: [await first.invocationId, await second.invocationId], results: [await first, await second] };
    },
    sendTwice: async (ctx: restate.Context, key: string) => {
      const issue = () => ctx.serviceSendClient(ticketer).issue(`send-${key}`, restate.rpc.sendOpts({ idempotencyKey: key }));
      const [first, second] = [issue(), issue()];
      return { ids: [await first.invocationId, await second.invocationId] };
    },
    runTwice: async (ctx: restate.Context, key: string) => {
      const run = () => ctx.workflowSendClient(approvalFlow, key).run("twice");
      const [first, second] = [run(), run()];
      return { ids: [await first.invocationId, await second.invocationId] };
    },
  },
});

/** Holds its key's lock while it sleeps, so that the key's next exclusive call waits in the inbox. */
export const locker = restate.object({
  name: "DiffLocker",
  handlers: {
    hold: async (ctx: restate.ObjectContext, ms: number) => {
      ctx.set("holding", true);
      await ctx.sleep(ms);
      return "released";
    },
  },
});
