import { describe, expect, it } from "vitest";
import { partitionKeyForKey, partitionOf } from "../../protocol/index.js";
import { everyPartitionLed, registerOnEveryNode, startNodes, stopNode, useClusterFolders } from "../helpers/cluster.js";
import { LOAD_FIXTURE, post } from "../helpers/cluster-load.js";
import { eventually } from "../helpers/eventually.js";
import { usePostgres } from "../helpers/postgres.js";
import { startServiceProcess } from "../helpers/processes.js";

// A handler's call travels through its partition's outbox to the callee's partition. In a cluster the
// two partitions may be led by different nodes: the call must still arrive (and its answer come back).

const postgres = usePostgres();
const PARTITIONS = 4;
const cluster = useClusterFolders(postgres, PARTITIONS);

describe("a cluster of two nodes on PostgreSQL: calls between partitions led by different nodes", () => {
  it("a handler's call to an object whose partition the other node leads completes, and its answer comes back", async () => {
    const { spec, logFile } = cluster();
    const service = await startServiceProcess(LOAD_FIXTURE, { LOG: logFile });
    const nodes = await startNodes(spec, ["a", "b"]);
    await registerOnEveryNode(nodes, service.url);
    // SPREAD-DEPENDENT: each node leads some partitions (partition/placement.ts spreads them evenly).
    const leaders = await eventually("each node to lead some partitions", async () => {
      const led = await everyPartitionLed(nodes, PARTITIONS);
      return nodes.every((n) => [...led.values()].includes(n.name)) ? led : undefined;
    });

    // Object keys whose partitions a and b lead: Tally/<onA>/addTo calls Tally/<onB>/add.
    const keyLedBy = (name: string) => {
      for (let i = 0; ; i++) if (leaders.get(partitionOf(partitionKeyForKey("Tally", `x${i}`), PARTITIONS)) === name) return `x${i}`;
    };
    const [onA, onB] = [keyLedBy("a"), keyLedBy("b")];
    for (const [from, to] of [
      [onA, onB],
      [onB, onA],
    ] as const) {
      // A deadline, not a timing assertion: without delivery between nodes the call never arrives.
      const res = await post(`${nodes[0]!.ingressUrl}/Tally/${from}/addTo`, to, undefined, 20_000).catch((error: unknown) => error as Error);
      expect(res instanceof Error ? res.message : res.status, `Tally/${from}/addTo(${to}), leaders ${JSON.stringify([...leaders])}`).toBe(200);
      expect(await (res as Response).json()).toBe(1);
    }
    for (const node of nodes) expect(await stopNode(node), `${node.name}'s exit`).toBe(0);
  }, 60_000);
});
