import { afterEach, describe, expect, it } from "vitest";
import { counter } from "../differential/services.js";
import { usePostgres } from "../helpers/postgres.js";
import { startEndpoint } from "../helpers/sdk-endpoint.js";
import { startTestStet, type TestStet } from "../helpers/stet.js";
import { eventually as pollUntil } from "../helpers/eventually.js";

// PostgreSQL taken away under load and brought back (issue 15): the node keeps running, says so
// (503s with a reason), and resumes by itself; nothing it acknowledged is lost.

const pg = usePostgres();

/** Generous bound on any one request: a request that takes longer counts as a hang. */
const CLIENT_TIMEOUT_MS = 20_000;
/** Bound on the node's recovery steps waited for below (not a timing assertion: a deadline). */
const RECOVERY_DEADLINE_MS = 25_000;

const started: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  // A test that failed while PostgreSQL was down must not leave it down for the next one.
  await pg.server.start();
  for (const s of started.splice(0).reverse()) await s.close();
});

/** The shared poll (test/helpers/eventually.ts), with this file's recovery deadline as its default. */
const eventually = <T>(what: string, check: () => Promise<T | undefined>, deadlineMs = RECOVERY_DEADLINE_MS): Promise<T> =>
  pollUntil(what, check, deadlineMs);

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

/**
 * Light load on a node: two clients, each one request at a time, sends and calls over four objects, each
 * with its own idempotency key (so that a refused one can be sent again and still count once).
 */
class Load {
  readonly adds: Add[] = [];
  readonly answers: Answer[] = [];
  #n = 0;
  #running = true;
  readonly #clients: Array<Promise<void>>;

  constructor(private readonly stet: TestStet) {
    this.#clients = [0, 1].map((c) => this.#client(c));
  }

  acknowledged(): number {
    return this.adds.filter((a) => a.invocationId !== undefined).length;
  }

  async issue(add: Add): Promise<Answer> {
    const path = `/DiffCounter/${add.key}/add${add.send ? "/send" : ""}`;
    const answer = await request(`${this.stet.node.ingressUrl}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": add.idempotencyKey },
      body: JSON.stringify(add.amount),
    });
    this.answers.push(answer);
    if (answer.status === (add.send ? 202 : 200)) {
      add.invocationId = add.send ? (JSON.parse(answer.body) as { invocationId: string }).invocationId : answer.invocationId!;
    }
    return answer;
  }

  /** Stops the clients once their requests under way are answered. Idempotent. */
  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#clients);
  }

  /**
   * After the outage: every answer was a success or a coded 503 (never a 500, never a hang); the client
   * sends what was refused again, with the same key; then every invocation completes (attach) and every
   * add counted exactly once.
   */
  async verify(): Promise<void> {
    await this.stop();
    for (const answer of this.answers) {
      if (answer.status === 200 || answer.status === 202) continue;
      expect(answer.status, answer.body).toBe(503);
      expect(answer.errorCode, answer.body).toMatch(/^STET_/);
    }
    for (const add of this.adds.filter((a) => a.invocationId === undefined)) {
      await eventually(`${add.idempotencyKey} accepted on a retry`, async () => {
        const retried = await this.issue({ ...add, send: true });
        if (retried.status !== 202) return undefined;
        add.invocationId = (JSON.parse(retried.body) as { invocationId: string }).invocationId;
        return true;
      });
    }
    for (const add of this.adds) {
      const attached = await request(`${this.stet.node.ingressUrl}/restate/invocation/${add.invocationId}/attach`);
      expect(attached.status, `${add.idempotencyKey}: ${attached.body}`).toBe(200);
    }
    for (const key of ["k0", "k1", "k2", "k3"]) {
      const expected = this.adds.filter((a) => a.key === key).reduce((sum, a) => sum + a.amount, 0);
      const got = await request(`${this.stet.node.ingressUrl}/DiffCounter/${key}/get`, { method: "POST" });
      expect(JSON.parse(got.body), key).toBe(expected);
    }
  }

  async #client(c: number): Promise<void> {
    while (this.#running) {
      const i = this.#n++;
      const add: Add = { key: `k${i % 4}`, amount: (i % 5) + 1, idempotencyKey: `add-${c}-${i}`, send: i % 2 === 0 };
      this.adds.push(add);
      await this.issue(add);
    }
  }
}

/** Fails the test on an unhandled rejection anywhere in the process while `body` runs. */
async function noUnhandledRejections(body: () => Promise<void>): Promise<void> {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on("unhandledRejection", onUnhandled);
  try {
    await body();
  } finally {
    process.off("unhandledRejection", onUnhandled);
  }
  expect(unhandled).toEqual([]);
}

async function nodeWithCounter(): Promise<TestStet> {
  const service = await startEndpoint([counter], { http: 2 });
  started.push(service);
  const stet = await startTestStet({ store: pg.url, partitions: 4, leaseTtlMs: 1_500 });
  started.push(stet);
  await stet.register(service.url);
  expect((await health(stet)).admin.status).toBe(200);
  return stet;
}

async function leadsAndServes(stet: TestStet, load: Load): Promise<void> {
  await eventually("every partition led again", async () =>
    [0, 1, 2, 3].every((p) => stet.node.partitions.processor(p)?.isLeader === true) ? true : undefined,
  );
  const before = load.answers.length;
  await eventually("requests succeed again", async () =>
    load.answers.slice(before).filter((a) => a.status === 200 || a.status === 202).length >= 4 ? true : undefined,
  );
}

describe("a stet node on PostgreSQL when PostgreSQL goes away", () => {
  it("keeps running, answers 503 with the reason while PostgreSQL is down, and resumes by itself without losing what it acknowledged", async () => {
    await noUnhandledRejections(async () => {
      const stet = await nodeWithCounter();
      const load = new Load(stet);
      try {
        await eventually("some acknowledged before the outage", async () => (load.acknowledged() >= 10 ? true : undefined));
        await pg.server.stop();

        // While PostgreSQL is down, both health endpoints say so and why.
        const down = await eventually("health answers 503 while PostgreSQL is down", async () => {
          const h = await health(stet);
          return h.admin.status === 503 && h.ingress.status === 503 ? h : undefined;
        });
        for (const answer of [down.admin, down.ingress]) {
          expect(JSON.parse(answer.body)).toMatchObject({ code: "STET_STORE_UNAVAILABLE", message: expect.stringMatching(/PostgreSQL/) });
        }
        // A request made now cannot be made durable: refused with a coded 503 (its client retries it later).
        for (const key of ["k0", "k1", "k2", "k3"]) {
          const add: Add = { key, amount: 7, idempotencyKey: `during-outage-${key}`, send: true };
          load.adds.push(add);
          const refused = await load.issue(add);
          expect(refused.status, refused.body).toBe(503);
        }
        // Attach of an acknowledged invocation during the outage: its answer, or a 503, never a 404.
        const acknowledged = load.adds.find((a) => a.invocationId !== undefined)!;
        const attachDuringOutage = request(`${stet.node.ingressUrl}/restate/invocation/${acknowledged.invocationId}/attach`);

        await pg.server.start();
        const up = await eventually("health answers 200 once PostgreSQL is back", async () => {
          const h = await health(stet);
          return h.admin.status === 200 && h.ingress.status === 200 ? h : undefined;
        });
        expect(JSON.parse(up.ingress.body)).toMatchObject({ services: ["DiffCounter"] });
        await leadsAndServes(stet, load);
        expect([200, 503]).toContain((await attachDuringOutage).status);
        await load.verify();
        expect(load.answers.filter((a) => a.status === 503).length).toBeGreaterThan(0);
      } finally {
        await load.stop();
      }
    });
  }, 120_000);

  it("PostgreSQL restarted under load: nothing acknowledged is lost, nothing counted twice", async () => {
    await noUnhandledRejections(async () => {
      const stet = await nodeWithCounter();
      const load = new Load(stet);
      try {
        for (const mode of ["fast", "immediate"] as const) {
          const acknowledged = load.acknowledged();
          await eventually("more acknowledged before the restart", async () => (load.acknowledged() >= acknowledged + 10 ? true : undefined));
          // "immediate" is a crash: PostgreSQL recovers from its WAL when it starts.
          await pg.server.restart(mode);
          await leadsAndServes(stet, load);
          expect((await health(stet)).admin.status).toBe(200);
        }
        await load.verify();
      } finally {
        await load.stop();
      }
    });
  }, 120_000);
});
