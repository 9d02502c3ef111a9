import * as restate from "@restatedev/restate-sdk";

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
