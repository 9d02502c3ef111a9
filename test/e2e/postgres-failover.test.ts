import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { usePostgres } from "../helpers/postgres.js";
import { parsePrometheusText } from "../helpers/prometheus-text.js";
import { killAll, registerDeployment, startServiceProcess, startStetProcess, type StetProcess } from "../helpers/processes.js";
import { tempDir } from "../helpers/temp-dir.js";

const postgres = usePostgres();

const dirs: Array<{ remove(): void }> = [];
afterEach(() => {
  killAll();
  dirs.splice(0).forEach((d) => d.remove());
});

const PARTITIONS = 4;
const FIXTURE = "test/e2e/fixtures/load-service.mjs";

/** A cluster node on the test's database, in a fresh data folder of its own (a node keeps nothing on disk). */
function startNode(root: string, name: string, leaseTtl = "2s"): Promise<StetProcess> {
  return startStetProcess({
    dataDir: path.join(root, name),
    extraArgs: ["--store", postgres.url, "--lease-ttl", leaseTtl, "--partitions", String(PARTITIONS)],
  });
}

/** How many partitions `node` leads, from its `stet_partition_leader` gauges. */
async function leaderCount(node: StetProcess): Promise<number> {
  const res = await fetch(`${node.adminUrl}/metrics`, { signal: AbortSignal.timeout(5_000) });
  return parsePrometheusText(await res.text())
    .filter((s) => s.name === "stet_partition_leader")
    .reduce((sum, s) => sum + s.value, 0);
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const post = (url: string, body: unknown, idempotencyKey?: string) =>
  fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(idempotencyKey === undefined ? {} : { "idempotency-key": idempotencyKey }) },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });

const logLines = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean) : []);

/**
 * Every row of every table the nodes write, as sorted JSON, except the leases and the nodes' directory:
 * both are liveness (renewed all the time, and a node leaving removes its row), not partition state.
 */
async function snapshot(url: string): Promise<Record<string, string[]>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const tables = await client.query<{ name: string }>(
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_name NOT IN ('leases', 'nodes') ORDER BY 1",
    );
    const out: Record<string, string[]> = {};
    for (const { name } of tables.rows) {
      const rows = await client.query<{ row: string }>(`SELECT to_jsonb(t)::text AS row FROM "${name}" t`);
      out[name] = rows.rows.map((r) => r.row).sort();
    }
    const seq = await client.query<{ last: string }>("SELECT last_value::text AS last FROM partition_seq_blocks");
    out["partition_seq_blocks"] = [seq.rows[0]!.last];
    return out;
  } finally {
    await client.end();
  }
}

describe("cluster mode on PostgreSQL: failover of real processes", () => {
  it("kill -9 of the leader under load: a fresh node takes every partition; each accepted invocation completes once, counters exact", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const logFile = path.join(dir.path, "log");
    const service = await startServiceProcess(FIXTURE, { LOG: logFile });

    const a = await startNode(dir.path, "a");
    expect((await registerDeployment(a.adminUrl, service.url)).status).toBe(201);
    await eventually("A to lead every partition", async () => ((await leaderCount(a)) === PARTITIONS ? true : undefined));

    const SENDS = 120;
    const KEYS = 4;
    const PER_KEY = 30;
    type Request = { kind: "send" | "add"; key: string; path: string; body: number };
    const requests: Request[] = [];
    for (let i = 0; i < Math.max(SENDS, KEYS * PER_KEY); i++) {
      if (i < SENDS) requests.push({ kind: "send", key: `send-${i}`, path: "/Load/work/send", body: i });
      if (i < KEYS * PER_KEY) requests.push({ kind: "add", key: `add-${i}`, path: `/Tally/c${i % KEYS}/add`, body: 1 });
    }

    let target = a;
    let b: StetProcess | undefined;
    let killedAt = 0;
    let firstAnswerFromB: number | undefined;
    const answers = new Map<string, { status: number; body: unknown; from: "a" | "b" }>();
    const lostAnswers = new Set<string>();
    const deadline = Date.now() + 60_000;

    // Each request goes to the node alive now; a lost answer (connection reset, 503 while B takes the
    // partitions over) is sent again with the same idempotency key until one comes back.
    const sendUntilAnswered = async (r: Request) => {
      while (Date.now() < deadline) {
        const node = target;
        try {
          const res = await post(`${node.ingressUrl}${r.path}`, r.body, r.key);
          if (res.status === 200 || res.status === 202) {
            answers.set(r.key, { status: res.status, body: await res.json(), from: node === a ? "a" : "b" });
            if (node !== a) firstAnswerFromB ??= Date.now();
            return;
          }
          lostAnswers.add(r.key);
        } catch {
          lostAnswers.add(r.key);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`request ${r.key} was never answered`);
    };
    const queue = [...requests];
    const workers = Array.from({ length: 8 }, async () => {
      for (let r = queue.shift(); r !== undefined; r = queue.shift()) await sendUntilAnswered(r);
    });
    const killer = (async () => {
      // Mid-load, at a point that is not a round number of answers.
      const at = Math.floor(requests.length / 3 + Math.random() * 20);
      while (answers.size < at && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
      a.child.kill("SIGKILL");
      await a.exited;
      killedAt = Date.now();
      b = await startNode(dir.path, "b");
      target = b;
    })();
    await Promise.all([...workers, killer]);
    const node = b!;
    const fromA = [...answers.values()].filter((x) => x.from === "a").length;
    console.log(
      `failover: kill -9 → first answer from B ${firstAnswerFromB! - killedAt} ms (lease 2s; B started after the kill); ` +
        `${fromA} answered by A, ${answers.size - fromA} by B, ${lostAnswers.size} answers lost and re-sent`,
    );
    expect(fromA).toBeGreaterThan(0);
    expect(fromA).toBeLessThan(requests.length);
    expect(await leaderCount(node)).toBe(PARTITIONS);

    // Sending again with the same key names the invocation accepted before, whichever node accepted it.
    const ids = new Map<string, string>();
    for (const r of requests.filter((x) => x.kind === "send")) {
      const id = (answers.get(r.key)!.body as { invocationId: string }).invocationId;
      ids.set(r.key, id);
      const again = await post(`${node.ingressUrl}${r.path}`, r.body, r.key);
      expect([200, 202]).toContain(again.status);
      expect(((await again.json()) as { invocationId: string }).invocationId).toBe(id);
    }
    expect(new Set(ids.values()).size).toBe(SENDS);

    const outputs = new Map<string, unknown>();
    for (const id of ids.values()) {
      const res = await fetch(`${node.ingressUrl}/restate/invocation/${id}/attach`, { signal: AbortSignal.timeout(30_000) });
      expect(res.status, `attach ${id}`).toBe(200);
      outputs.set(id, await res.json());
    }

    // Exactly once: every invocation that ran is one of the accepted ones, and each observed one run
    // result (a run re-executed after its result was acknowledged would show a second token).
    const acked = new Map<string, Set<string>>();
    for (const line of logLines(logFile)) {
      const [kind, id, token] = line.split(" ");
      if (kind === "acked") acked.set(id!, (acked.get(id!) ?? new Set()).add(token!));
      if (kind === "run") expect(outputs.has(id!), `an invocation nobody accepted ran: ${id}`).toBe(true);
    }
    for (const [id, output] of outputs) expect([...(acked.get(id) ?? [])]).toEqual([output]);

    // Object state: each distinct add counted once, also after every add is sent once more.
    for (const r of requests.filter((x) => x.kind === "add")) {
      const again = await post(`${node.ingressUrl}${r.path}`, r.body, r.key);
      expect(again.status).toBe(200);
      expect(await again.json()).toBe(answers.get(r.key)!.body);
    }
    for (let k = 0; k < KEYS; k++) {
      const res = await post(`${node.ingressUrl}/Tally/c${k}/get`, null);
      expect(await res.json()).toBe(PER_KEY);
    }
    // Each Load/work invocation calls Tally/k<n % 10>/add once: those calls too were made exactly once.
    let calls = 0;
    for (let k = 0; k < 10; k++) calls += (await (await post(`${node.ingressUrl}/Tally/k${k}/get`, null)).json()) as number;
    expect(calls).toBe(SENDS);

    node.child.kill("SIGTERM");
    expect(await node.exited).toBe(0);
  }, 120_000);

  it("SIGSTOP of the leader past its lease: after SIGCONT it writes nothing; no journal entry or state change is duplicated", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const logFile = path.join(dir.path, "log");
    const service = await startServiceProcess(FIXTURE, { LOG: logFile, SLOW_MS: "1500" });

    const a = await startNode(dir.path, "a", "3s");
    expect((await registerDeployment(a.adminUrl, service.url)).status).toBe(201);
    await eventually("A to lead every partition", async () => ((await leaderCount(a)) === PARTITIONS ? true : undefined));

    // A reference run of Load/slow undisturbed, for the journal length every other run must have.
    const sendSlow = async (node: StetProcess, key: string) => {
      const res = await post(`${node.ingressUrl}/Load/slow/send`, null, key);
      expect(res.status).toBe(202);
      return ((await res.json()) as { invocationId: string }).invocationId;
    };
    const attach = async (node: StetProcess, id: string) => {
      const res = await fetch(`${node.ingressUrl}/restate/invocation/${id}/attach`, { signal: AbortSignal.timeout(30_000) });
      expect(res.status, `attach ${id}`).toBe(200);
      return res.json();
    };
    const reference = await sendSlow(a, "slow-ref");
    expect(await attach(a, reference)).toBe("done");

    const KEYS = 4;
    const add = async (node: StetProcess, i: number) => {
      const res = await post(`${node.ingressUrl}/Tally/c${i % KEYS}/add`, 1, `add-${i}`);
      expect(res.status).toBe(200);
    };
    for (let i = 0; i < 20; i++) await add(a, i);

    // Pause A while its attempts of Load/slow wait in the service: they finish during the pause and
    // leave their commands (a send to Tally/slow, the output) in A's socket for when it wakes.
    const SLOW = 6;
    const slowIds = await Promise.all(Array.from({ length: SLOW }, (_, i) => sendSlow(a, `slow-${i}`)));
    await eventually("every slow attempt to start on A", async () =>
      slowIds.every((id) => logLines(logFile).includes(`slow ${id}`)) ? true : undefined,
    );
    a.child.kill("SIGSTOP");
    const stoppedAt = Date.now();

    const b = await startNode(dir.path, "b", "3s");
    await eventually("B to lead every partition", async () => ((await leaderCount(b)) === PARTITIONS ? true : undefined));
    console.log(`takeover: SIGSTOP of A → B leads all ${PARTITIONS} partitions after ${Date.now() - stoppedAt} ms (lease 3s; B started after the stop)`);

    for (let i = 20; i < 40; i++) await add(b, i);
    for (const id of slowIds) expect(await attach(b, id)).toBe("done");
    // The sends to Tally/slow are asynchronous: wait until all have arrived.
    const slowCount = async () => (await (await post(`${b.ingressUrl}/Tally/slow/get`, null)).json()) as number;
    await eventually("the sends to Tally/slow", async () => ((await slowCount()) >= SLOW + 1 ? true : undefined));

    const before = await snapshot(postgres.url);
    // On waking, A's overdue renewal races its first batch; if the renewal fails first, A steps down in
    // memory and never reaches the database's fence. Holding back every UPDATE of the leases (a SHARE
    // lock of the table; the fence's FOR SHARE row locks pass it) makes A's batch meet the fence. Held
    // for at most half a lease, so B's renewals, held back too, still land before its leases expire.
    const locker = new pg.Client({ connectionString: postgres.url });
    await locker.connect();
    await locker.query("BEGIN");
    await locker.query("LOCK TABLE leases IN SHARE MODE");
    a.child.kill("SIGCONT");
    const fenced = await a.waitForOutput("is lost: now held by", 1_500).then(
      () => true,
      () => false,
    );
    await locker.query("COMMIT");
    await locker.end();
    expect(fenced, `A's batch was not refused by the fence; A's output:\n${a.output()}`).toBe(true);
    await eventually("A to step down everywhere", async () => ((await leaderCount(a)) === 0 ? true : undefined));
    // Give A's woken event loop time to act on what waited in its sockets (its batches meet the fence).
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    a.child.kill("SIGTERM");
    expect(await a.exited).toBe(0);
    const after = await snapshot(postgres.url);
    // Once A has stepped down it rejoins, and placement hands it its share under new epochs: loading a
    // partition draws a fresh block of ids from the sequence, which is no partition row.
    expect(Number(after["partition_seq_blocks"]![0])).toBeGreaterThanOrEqual(Number(before["partition_seq_blocks"]![0]));
    delete after["partition_seq_blocks"];
    delete before["partition_seq_blocks"];
    expect(after).toEqual(before);
    // A handed back what placement gave it when it stopped: B leads everything again within a round.
    await eventually("B to lead every partition again", async () => ((await leaderCount(b)) === PARTITIONS ? true : undefined));

    // On B: state changes counted once, every journal as long as the undisturbed one.
    for (let k = 0; k < KEYS; k++) {
      expect(await (await post(`${b.ingressUrl}/Tally/c${k}/get`, null)).json()).toBe(10);
    }
    expect(await slowCount()).toBe(SLOW + 1);
    const journalSize = async (id: string) => {
      const res = await fetch(`${b.adminUrl}/invocations/${id}`);
      expect(res.status).toBe(200);
      const json = (await res.json()) as { status: string; journal_size: number };
      expect(json.status).toBe("completed");
      return json.journal_size;
    };
    const expected = await journalSize(reference);
    for (const id of slowIds) expect(await journalSize(id), `journal of ${id}`).toBe(expected);

    b.child.kill("SIGTERM");
    expect(await b.exited).toBe(0);
  }, 120_000);
});
