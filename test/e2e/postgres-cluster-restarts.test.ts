import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { describeLeaders, evenlySpread, everyPartitionLed, registerOnEveryNode, startNode, startNodes, stopNode, useClusterFolders, type ClusterNode } from "../helpers/cluster.js";
import { ClusterLoad, LOAD_FIXTURE, describeRefusals, longestWait, verifyExactlyOnce } from "../helpers/cluster-load.js";
import { eventually } from "../helpers/eventually.js";
import { usePostgres } from "../helpers/postgres.js";
import { startServiceProcess } from "../helpers/processes.js";

// Three nodes as real processes on one PostgreSQL, under load through every node, with idempotency
// keys: each node restarted in turn, then PostgreSQL itself. Whether the partitions are spread over the
// nodes or one node leads them all, the assertions hold: nothing lost, nothing twice, every partition led.

const postgres = usePostgres();
const PARTITIONS = 4;
const cluster = useClusterFolders(postgres, PARTITIONS);
// A test that failed while PostgreSQL was down must not leave it down for the next one.
afterEach(() => postgres.server.start());

/** Both health endpoints of `node`: admin `/health` and ingress `/restate/health`. */
async function health(node: ClusterNode): Promise<Array<{ status: number; body: string }>> {
  return Promise.all(
    [`${node.adminUrl}/health`, `${node.ingressUrl}/restate/health`].map(async (url) => {
      const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      return { status: res.status, body: await res.text() };
    }),
  );
}

/** Three nodes on the test's database with the load service registered, every partition led. */
async function threeNodes(spec: Parameters<typeof startNodes>[0], logFile: string): Promise<ClusterNode[]> {
  const service = await startServiceProcess(LOAD_FIXTURE, { LOG: logFile });
  const nodes = await startNodes(spec, ["a", "b", "c"]);
  await registerOnEveryNode(nodes, service.url);
  await evenlySpread(nodes, PARTITIONS); // SPREAD-DEPENDENT: each of the three leads some
  return nodes;
}

describe("a cluster of three nodes on PostgreSQL: restarts under load", () => {
  it("rolling SIGTERM restart of every node, one at a time, under load: each exits 0 and comes back; nothing lost or duplicated, counters exact", async () => {
    const { spec, logFile } = cluster();
    const nodes = await threeNodes(spec, logFile);
    // Clients go round every node, the one restarting too (it refuses, and the next node is asked).
    const load = new ClusterLoad({ targets: () => nodes, attemptTimeoutMs: 10_000 });

    for (let i = 0; i < nodes.length; i++) {
      await load.answered(load.answers.size + 20);
      const old = nodes[i]!;
      const stoppedAt = Date.now();
      expect(await stopNode(old), `${old.name}'s exit on SIGTERM; its output:\n${old.output()}`).toBe(0);
      const exitedAt = Date.now();
      const handedOver = await everyPartitionLed(nodes.filter((n) => n !== old), PARTITIONS);
      const handedOverAt = Date.now();
      // On the same ports; b in a fresh data folder (a new node id), a and c in their own.
      const fresh = old.name === "b" ? { dataDir: path.join(spec.root, "b-fresh") } : {};
      const restarted = await startNode(spec, old.name, { ports: old, ...fresh });
      const readyAt = Date.now();
      nodes[i] = restarted;
      const leaders = await evenlySpread(nodes, PARTITIONS); // SPREAD-DEPENDENT: the restarted node takes its share
      const spreadAt = Date.now();
      await eventually(`${old.name} to answer again after its restart`, async () =>
        [...load.answers.values()].some((a) => a.from === old.name && a.answeredAt > readyAt) ? true : undefined,
      );
      const window = (r: { at: number }) => r.at >= stoppedAt && r.at <= spreadAt;
      console.log(
        `restart of ${old.name}${old.name === "b" ? " (fresh data folder)" : ""}, ms after SIGTERM: exit ${exitedAt - stoppedAt}, every partition ` +
          `led by the others ${handedOverAt - stoppedAt} (${describeLeaders(handedOver)}), ready again ${readyAt - stoppedAt}, its share back ` +
          `${spreadAt - stoppedAt} (${describeLeaders(leaders)}); refused attempts meanwhile ${describeRefusals(load.refusals.filter(window))}; ` +
          `longest wait ${longestWait(load, stoppedAt, spreadAt)} ms`,
      );
    }
    await load.answered(load.answers.size + 20);
    await load.stop();
    console.log(`rolling restart: ${load.answers.size} requests answered, ${load.resent.size} of them after a refused attempt`);
    await verifyExactlyOnce(load, nodes[0]!, logFile);
    for (const node of nodes) expect(await stopNode(node), `${node.name}'s exit`).toBe(0);
  }, 120_000);

  it("PostgreSQL restarted under load: every node keeps running, its health answers 503 STET_STORE_UNAVAILABLE meanwhile and recovers by itself; nothing acknowledged is lost, counters exact", async () => {
    const { spec, logFile } = cluster();
    const nodes = await threeNodes(spec, logFile);
    const exits: string[] = [];
    for (const node of nodes) void node.exited.then((code) => exits.push(`${node.name} exited (${code}); its output:\n${node.output()}`));
    const load = new ClusterLoad({ targets: () => nodes });
    await load.answered(40);

    const stoppedAt = Date.now();
    await postgres.server.stop();
    for (const node of nodes) {
      const down = await eventually(`${node.name}'s health to answer 503 while PostgreSQL is down`, async () => {
        const answers = await health(node);
        return answers.every((a) => a.status === 503) ? answers : undefined;
      });
      for (const answer of down) expect(JSON.parse(answer.body)).toMatchObject({ code: "STET_STORE_UNAVAILABLE", message: expect.stringMatching(/PostgreSQL/) });
    }
    // Down for longer than a lease (2 s): every lease expires, and the nodes must take them anew.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, stoppedAt + 3_000 - Date.now())));
    await postgres.server.start();
    const startedAt = Date.now();
    for (const node of nodes) {
      await eventually(`${node.name}'s health to answer 200 once PostgreSQL is back`, async () =>
        (await health(node)).every((a) => a.status === 200) ? true : undefined,
      );
    }
    const healthyAt = Date.now();
    await everyPartitionLed(nodes, PARTITIONS);
    const ledAt = Date.now();
    const leaders = await evenlySpread(nodes, PARTITIONS); // SPREAD-DEPENDENT
    const answeredBefore = load.answers.size;
    await load.answered(answeredBefore + 30);
    console.log(
      `PostgreSQL down ${startedAt - stoppedAt} ms: healthy again ${healthyAt - startedAt} ms after its start, every partition led ` +
        `${ledAt - startedAt} ms after (${describeLeaders(leaders)}); refused attempts ${describeRefusals(load.refusals.filter((r) => r.at >= stoppedAt && r.at <= ledAt))}; ` +
        `longest wait ${longestWait(load, stoppedAt, ledAt)} ms`,
    );

    // Once more as a crash: PostgreSQL recovers from its WAL when it starts.
    const crashedAt = Date.now();
    await postgres.server.restart("immediate");
    await load.answered(load.answers.size + 30);
    const again = await evenlySpread(nodes, PARTITIONS); // SPREAD-DEPENDENT
    console.log(`PostgreSQL crashed and restarted: 30 more answered ${Date.now() - crashedAt} ms later (${describeLeaders(again)})`);

    await load.stop();
    expect(exits).toEqual([]);
    await verifyExactlyOnce(load, nodes[0]!, logFile);
    for (const node of nodes) expect(await stopNode(node), `${node.name}'s exit`).toBe(0);
  }, 120_000);
});
