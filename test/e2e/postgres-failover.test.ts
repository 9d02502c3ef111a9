import { describe, expect, it } from "vitest";
import { leaderCount, ledBy, movedPartitions, rowsOf, snapshot, startNode, useClusterFolders, wakeIntoFence, type ClusterNode } from "../helpers/cluster.js";
import { ClusterLoad, LOAD_FIXTURE, logLines, post, verifyExactlyOnce } from "../helpers/cluster-load.js";
import { eventually } from "../helpers/eventually.js";
import { usePostgres } from "../helpers/postgres.js";
import { registerDeployment, startServiceProcess, type StetProcess } from "../helpers/processes.js";

const postgres = usePostgres();

const PARTITIONS = 4;
const cluster = useClusterFolders(postgres, PARTITIONS);

describe("cluster mode on PostgreSQL: failover of real processes", () => {
  it("kill -9 of the leader under load: a fresh node takes every partition; each accepted invocation completes once, counters exact", async () => {
    const { spec, logFile } = cluster();
    const service = await startServiceProcess(LOAD_FIXTURE, { LOG: logFile });

    const a = await startNode(spec, "a");
    expect((await registerDeployment(a.adminUrl, service.url)).status).toBe(201);
    await eventually("A to lead every partition", async () => ((await leaderCount(a)) === PARTITIONS ? true : undefined));

    // Each request goes to the node alive now; a lost answer (connection reset, 503 while B takes the
    // partitions over) is sent again with the same idempotency key until one comes back.
    let target: ClusterNode = a;
    const load = new ClusterLoad({ targets: () => [target], total: 240 });
    // Mid-load, at a point that is not a round number of answers.
    await load.answered(Math.floor(240 / 3 + Math.random() * 20));
    a.child.kill("SIGKILL");
    await a.exited;
    const killedAt = Date.now();
    const b = await startNode(spec, "b");
    target = b;
    await load.done;

    const answers = [...load.answers.values()];
    const fromA = answers.filter((x) => x.from === "a").length;
    const firstAnswerFromB = Math.min(...answers.filter((x) => x.from === "b").map((x) => x.answeredAt));
    console.log(
      `failover: kill -9 → first answer from B ${firstAnswerFromB - killedAt} ms (lease 2s; B started after the kill); ` +
        `${fromA} answered by A, ${answers.length - fromA} by B, ${load.resent.size} answers lost and re-sent`,
    );
    expect(fromA).toBeGreaterThan(0);
    expect(fromA).toBeLessThan(load.requests.length);
    expect(await leaderCount(b)).toBe(PARTITIONS);
    await verifyExactlyOnce(load, b, logFile);

    b.child.kill("SIGTERM");
    expect(await b.exited).toBe(0);
  }, 120_000);

  it("SIGSTOP of the leader past its lease: after SIGCONT it writes nothing; no journal entry or state change is duplicated", async () => {
    const { spec, logFile } = cluster();
    const service = await startServiceProcess(LOAD_FIXTURE, { LOG: logFile, SLOW_MS: "1500" });

    const a = await startNode(spec, "a", { leaseTtl: "3s" });
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

    const b = await startNode(spec, "b", { leaseTtl: "3s" });
    await eventually("B to lead every partition", async () => ((await leaderCount(b)) === PARTITIONS ? true : undefined));
    console.log(`takeover: SIGSTOP of A → B leads all ${PARTITIONS} partitions after ${Date.now() - stoppedAt} ms (lease 3s; B started after the stop)`);

    for (let i = 20; i < 40; i++) await add(b, i);
    for (const id of slowIds) expect(await attach(b, id)).toBe("done");
    // The sends to Tally/slow are asynchronous: wait until all have arrived.
    const slowCount = async () => (await (await post(`${b.ingressUrl}/Tally/slow/get`, null)).json()) as number;
    await eventually("the sends to Tally/slow", async () => ((await slowCount()) >= SLOW + 1 ? true : undefined));

    const before = await snapshot(postgres.url, { leases: true });
    const { fenced, whileHeld } = await wakeIntoFence(postgres.url, a);
    expect(fenced, `A's batch was not refused by the fence; A's output:\n${a.output()}`).toBe(true);
    expect(whileHeld).toEqual(before);
    // Give A's woken event loop time to act on what waited in its sockets (its batches meet the fence).
    // Meanwhile A may take its share of the partitions back (partition balancing), only at a new epoch;
    // and stopping, it hands them to B. An idle partition changing hands writes no row.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const moved = movedPartitions(before, await snapshot(postgres.url, { leases: true }));
    expect((await ledBy(a)).filter((p) => !moved.includes(p)), "partitions A leads at its old epoch").toEqual([]);
    a.child.kill("SIGTERM");
    expect(await a.exited).toBe(0);
    const after = await snapshot(postgres.url, { leases: true });
    const handsChanged = movedPartitions(before, after).length > 0;
    expect(rowsOf(after, handsChanged)).toEqual(rowsOf(before, handsChanged));
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
