import * as restate from "@restatedev/restate-sdk";
import { afterEach, describe, expect, it } from "vitest";
import { usePostgres } from "../helpers/postgres.js";
import { startEndpoint } from "../helpers/sdk-endpoint.js";
import { startTestStet, type TestStet } from "../helpers/stet.js";

// PostgreSQL taken away under load and brought back (issue 15): the node keeps running, says so
// (503s with a reason), and resumes by itself; nothing it acknowledged is lost.

const pg = usePostgres();

/** Generous bound on any one request: a request that takes longer counts as a hang. */
const CLIENT_TIMEOUT_MS = 20_000;
/** Bound on the node's recovery steps waited for below (not a timing assertion: a deadline). */
const RECOVERY_DEADLINE_MS = 25_000;

const counter = restate.object({
  name: "Counter",
  handlers: {
    add: async (ctx: restate.ObjectContext, n: number) => {
      const v = ((await ctx.get<number>("count")) ?? 0) + n;
      ctx.set("count", v);
      return v;
    },
    get: restate.handlers.object.shared(async (ctx: restate.ObjectSharedContext) => (await ctx.get<number>("count")) ?? 0),
  },
});

const started: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  // A test that failed while PostgreSQL was down must not leave it down for the next one.
  await pg.server.start();
  for (const s of started.splice(0).reverse()) await s.close();
});

/** Polls `check` until it returns a value other than undefined, or fails at the deadline. */
async function eventually<T>(what: string, check: () => Promise<T | undefined>, deadlineMs = RECOVERY_DEADLINE_MS): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`not within ${deadlineMs} ms: ${what}${last === undefined ? "" : ` (last error: ${String(last)})`}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Answer {
  readonly status: number;
  readonly body: string;
  readonly errorCode: string | null;
  readonly invocationId: string | null;
}

/** One request; a connection reset or the client's timeout (a hang) comes back as status 0. */
async function request(url: string, init: RequestInit = {}): Promise<Answer> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS) });
  } catch (error) {
    return { status: 0, body: String(error), errorCode: null, invocationId: null };
  }
  return {
    status: res.status,
    body: await res.text(),
    errorCode: res.headers.get("x-stet-error-code"),
    invocationId: res.headers.get("x-restate-id"),
  };
}

async function health(stet: TestStet): Promise<{ admin: Answer; ingress: Answer }> {
  const [admin, ingress] = await Promise.all([request(`${stet.node.adminUrl}/health`), request(`${stet.node.ingressUrl}/restate/health`)]);
  return { admin, ingress };
}

interface Add {
  readonly key: string;
  readonly amount: number;
  readonly idempotencyKey: string;
  readonly send: boolean;
  /** Set once the node acknowledged it (202 for a send, 200 for a call). */
  invocationId?: string;
}

describe("a stet node on PostgreSQL when PostgreSQL goes away", () => {
  it("keeps running, answers 503 with the reason while PostgreSQL is down, and resumes by itself without losing what it acknowledged", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    let loading = true;
    let clients: Array<Promise<void>> = [];
    try {
      const service = await startEndpoint([counter], { http: 2 });
      started.push(service);
      const stet = await startTestStet({ store: pg.url, partitions: 4, leaseTtlMs: 1_500 });
      started.push(stet);
      await stet.register(service.url);
      expect((await health(stet)).admin.status).toBe(200);

      const adds: Add[] = [];
      const answers: Answer[] = [];
      let n = 0;
      const issue = async (add: Add): Promise<Answer> => {
        const path = `/Counter/${add.key}/add${add.send ? "/send" : ""}`;
        const answer = await request(`${stet.node.ingressUrl}${path}`, {
          method: "POST",
          headers: { "content-type": "application/json", "idempotency-key": add.idempotencyKey },
          body: JSON.stringify(add.amount),
        });
        answers.push(answer);
        if (answer.status === (add.send ? 202 : 200)) add.invocationId = add.send ? (JSON.parse(answer.body) as { invocationId: string }).invocationId : answer.invocationId!;
        return answer;
      };
      // Light load: two clients, each one request at a time, sends and calls over four objects.
      const client = async (c: number) => {
        while (loading) {
          const i = n++;
          const add: Add = { key: `k${i % 4}`, amount: (i % 5) + 1, idempotencyKey: `add-${c}-${i}`, send: i % 2 === 0 };
          adds.push(add);
          await issue(add);
        }
      };
      clients = [client(0), client(1)];

      await eventually("some acknowledged before the outage", async () => (adds.filter((a) => a.invocationId).length >= 10 ? true : undefined));
      await pg.server.stop();

      // While PostgreSQL is down, both health endpoints say so and why; requests are refused with a 503.
      const down = await eventually("health answers 503 while PostgreSQL is down", async () => {
        const h = await health(stet);
        return h.admin.status === 503 && h.ingress.status === 503 ? h : undefined;
      });
      for (const answer of [down.admin, down.ingress]) {
        expect(JSON.parse(answer.body)).toMatchObject({ code: "STET_STORE_UNAVAILABLE", message: expect.stringMatching(/PostgreSQL/) });
      }
      // A request made now cannot be made durable: refused with a coded 503 (its client retries it below).
      for (const key of ["k0", "k1", "k2", "k3"]) {
        const add: Add = { key, amount: 7, idempotencyKey: `during-outage-${key}`, send: true };
        adds.push(add);
        const refused = await issue(add);
        expect(refused.status, refused.body).toBe(503);
      }
      // Attach of an acknowledged invocation during the outage: an answer, or a 503, never a 404.
      const acknowledged = adds.find((a) => a.invocationId !== undefined)!;
      const attachDuringOutage = request(`${stet.node.ingressUrl}/restate/invocation/${acknowledged.invocationId}/attach`);

      await pg.server.start();
      const up = await eventually("health answers 200 once PostgreSQL is back", async () => {
        const h = await health(stet);
        return h.admin.status === 200 && h.ingress.status === 200 ? h : undefined;
      });
      expect(JSON.parse(up.ingress.body)).toMatchObject({ services: ["Counter"] });
      // The node leads its partitions again by itself and serves.
      await eventually("every partition led again", async () =>
        [0, 1, 2, 3].every((p) => stet.node.partitions.processor(p)?.isLeader === true) ? true : undefined,
      );
      const countBefore = answers.length;
      await eventually("requests succeed again", async () =>
        answers.slice(countBefore).filter((a) => a.status === 200 || a.status === 202).length >= 4 ? true : undefined,
      );
      loading = false;
      await Promise.all(clients);

      expect([200, 503]).toContain((await attachDuringOutage).status);

      // Every answer was a success or a coded 503: never a 500, never a hang (a hang would have thrown).
      for (const answer of answers) {
        if (answer.status === 200 || answer.status === 202) continue;
        expect(answer.status, answer.body).toBe(503);
        expect(answer.errorCode, answer.body).toMatch(/^STET_/);
      }
      expect(answers.filter((a) => a.status === 503).length).toBeGreaterThan(0);

      // The client sends what was refused again, with the same idempotency key, as a client must.
      for (const add of adds.filter((a) => a.invocationId === undefined)) {
        await eventually(`${add.idempotencyKey} accepted on a retry`, async () => {
          await issue({ ...add, send: true });
          const retried = answers.at(-1)!;
          if (retried.status !== 202) return undefined;
          add.invocationId = (JSON.parse(retried.body) as { invocationId: string }).invocationId;
          return true;
        });
      }

      // Every acknowledged invocation completes, and each add counted exactly once.
      for (const add of adds) {
        const attached = await request(`${stet.node.ingressUrl}/restate/invocation/${add.invocationId}/attach`);
        expect(attached.status, `${add.idempotencyKey}: ${attached.body}`).toBe(200);
      }
      for (const key of ["k0", "k1", "k2", "k3"]) {
        const expected = adds.filter((a) => a.key === key).reduce((sum, a) => sum + a.amount, 0);
        const got = await request(`${stet.node.ingressUrl}/Counter/${key}/get`, { method: "POST" });
        expect(JSON.parse(got.body), key).toBe(expected);
      }
      expect(unhandled).toEqual([]);
    } finally {
      loading = false;
      await Promise.all(clients);
      process.off("unhandledRejection", onUnhandled);
    }
  }, 120_000);
});
