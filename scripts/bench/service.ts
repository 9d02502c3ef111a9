// The benchmark's service process: official Restate SDK handlers for every workload, served once and
// registered with each server under test (stet and restate-server see the very same process).
// A small plain-HTTP side port reports counters the harness needs (handlers finished, timer lateness).
//
// Environment: PORT (SDK endpoint, HTTP/2 h2c), STATS_PORT (side port). Set RESTATE_LOGGING=ERROR.
import "../../sdk/polyfills.js";
import http from "node:http";
import http2 from "node:http2";
import * as restate from "@restatedev/restate-sdk";

// --- counters read by the harness -------------------------------------------------------------------
let noopDone = 0;
let retainedDone = 0;
let sleepDone = 0;
/** invocation id → first time a handler attempt started (ms since epoch), for timer lateness. */
const sleepStarted = new Map<string, number>();
const sleepLateness: number[] = [];
/** Handler entries per handler: attempts, including retried ones (none of these handlers suspends). */
const attempts: Record<string, number> = {};
const enter = (name: string): void => {
  attempts[name] = (attempts[name] ?? 0) + 1;
};

function reset(): void {
  noopDone = 0;
  retainedDone = 0;
  sleepDone = 0;
  sleepStarted.clear();
  sleepLateness.length = 0;
  for (const k of Object.keys(attempts)) delete attempts[k];
}

// --- services ---------------------------------------------------------------------------------------
const bench = restate.service({
  name: "Bench",
  handlers: {
    /** W1: one journaled step. */
    run1: async (ctx: restate.Context, input: number): Promise<number> => {
      enter("run1");
      return ctx.run("step", () => input + 1);
    },
    /** W6: ten journaled steps. */
    run10: async (ctx: restate.Context, input: number): Promise<number> => {
      enter("run10");
      let v = input;
      for (let i = 0; i < 10; i++) {
        const prev = v;
        v = await ctx.run(`step-${i}`, () => prev + 1);
      }
      return v;
    },
    /** W2: no journal entries beyond input and output. */
    echo: async (_ctx: restate.Context, input: unknown): Promise<unknown> => {
      enter("echo");
      return input;
    },
    /** Scale: counted so the harness knows when a burst of /send has been worked off. */
    noop: async (_ctx: restate.Context, _input: unknown): Promise<void> => {
      enter("noop");
      noopDone++;
    },
  },
});

/**
 * Retention: completed invocations of this service are kept 5 s only. Restate 1.7 keeps a completed
 * invocation for max(journal retention, idempotency retention) even without an idempotency key, so both.
 */
const retained = restate.service({
  name: "Retained",
  handlers: {
    noop: async (_ctx: restate.Context, _input: unknown): Promise<void> => {
      retainedDone++;
    },
  },
  options: { journalRetention: 5_000, idempotencyRetention: 5_000 },
});

/** W3/W4: read-modify-write of one state entry under the object's exclusive lock. */
const counter = restate.object({
  name: "Counter",
  handlers: {
    add: async (ctx: restate.ObjectContext, delta: number): Promise<number> => {
      enter("add");
      const next = ((await ctx.get<number>("n")) ?? 0) + delta;
      ctx.set("n", next);
      return next;
    },
  },
});

/** W5: ChainA → ChainB → ChainC, request-response calls. */
const chainC = restate.service({
  name: "ChainC",
  handlers: { run: async (_ctx: restate.Context, input: number): Promise<number> => input + 1 },
});
const chainB = restate.service({
  name: "ChainB",
  handlers: {
    run: async (ctx: restate.Context, input: number): Promise<number> =>
      (await ctx.serviceClient<typeof chainC>({ name: "ChainC" }).run(input)) + 1,
  },
});
const chainA = restate.service({
  name: "ChainA",
  handlers: {
    run: async (ctx: restate.Context, input: number): Promise<number> => {
      enter("chainA");
      return (await ctx.serviceClient<typeof chainB>({ name: "ChainB" }).run(input)) + 1;
    },
  },
});

/**
 * W7: a durable 1 s sleep. The first attempt's start time is kept in memory (this process lives for the
 * whole benchmark), so the attempt that gets past the sleep can report how late the timer fired, as seen
 * by the handler: now − (first start + 1000 ms).
 */
const sleeper = restate.service({
  name: "Sleeper",
  handlers: {
    sleep1s: async (ctx: restate.Context, _input: unknown): Promise<void> => {
      const id = ctx.request().id;
      if (!sleepStarted.has(id)) sleepStarted.set(id, Date.now());
      await ctx.sleep(1000);
      const started = sleepStarted.get(id);
      if (started !== undefined) {
        sleepLateness.push(Date.now() - started - 1000);
        sleepStarted.delete(id);
        sleepDone++;
      }
    },
  },
});

// --- side port ----------------------------------------------------------------------------------------
const stats = http.createServer((req, res) => {
  if (req.url === "/reset" && req.method === "POST") {
    reset();
    res.writeHead(204).end();
    return;
  }
  if (req.url === "/stats") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ noopDone, retainedDone, sleepDone, attempts }));
    return;
  }
  if (req.url === "/lateness") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(sleepLateness));
    return;
  }
  res.writeHead(404).end();
});

const port = Number(process.env["PORT"] ?? 9080);
const statsPort = Number(process.env["STATS_PORT"] ?? 9081);
await new Promise<void>((resolve) => stats.listen(statsPort, "127.0.0.1", resolve));
// What restate.serve({ port }) does (an HTTP/2 h2c server with the bidirectional handler), bound to
// loopback only.
const endpoint = restate.endpoint();
for (const s of [bench, retained, counter, chainA, chainB, chainC, sleeper]) endpoint.bind(s);
const server = http2.createServer(endpoint.http2Handler());
// Diagnostics: a server that closes the whole HTTP/2 session shows up here (stderr → service.log).
server.on("sessionError", (e) => process.stderr.write(`[bench service] sessionError ${String(e)}\n`));
server.on("session", (s) => {
  s.on("goaway", (code) => process.stderr.write(`[bench service] GOAWAY received from server under test, code ${code}\n`));
  s.on("error", (e) => process.stderr.write(`[bench service] session error ${String(e)}\n`));
  s.on("close", () => {
    if (s.destroyed && (s as unknown as { rstCode?: number }).rstCode) process.stderr.write(`[bench service] session closed\n`);
  });
});
await new Promise<void>((resolve, reject) => {
  server.once("error", reject);
  server.listen(port, "127.0.0.1", resolve);
});
process.stdout.write(`bench service ready on ${port} (stats ${statsPort})\n`);
