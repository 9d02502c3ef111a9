import { describe, expect, it } from "vitest";
import { partitionKeyOf, partitionOf, type InvocationId } from "../../protocol/index.js";
import {
  describeLeaders,
  evenlySpread,
  everyPartitionLed,
  ledBy,
  movedPartitions,
  mostLeading,
  registerOnEveryNode,
  rowsOf,
  settledLeaders,
  snapshot,
  startNodes,
  stopNode,
  useClusterFolders,
  wakeIntoFence,
  type ClusterNode,
} from "../helpers/cluster.js";
import { ClusterLoad, LOAD_FIXTURE, attachOutput, describeRefusals, forEachAtOnce, logLines, longestWait, post, postServed, verifyExactlyOnce } from "../helpers/cluster-load.js";
import { eventually } from "../helpers/eventually.js";
import { usePostgres } from "../helpers/postgres.js";
import { startServiceProcess } from "../helpers/processes.js";

// Three nodes as real processes on one PostgreSQL, under load through the nodes, with idempotency keys:
// a node killed, a node paused past its lease. Whether the partitions are spread over the nodes or one
// node leads them all, the assertions hold: exactly once, counters exact, every partition led again.

const postgres = usePostgres();
const PARTITIONS = 4;
const cluster = useClusterFolders(postgres, PARTITIONS);

describe("a cluster of three nodes on PostgreSQL: failover under load", () => {
  it("kill -9 of a node that leads partitions, under load through all three: the others take its partitions; each accepted invocation completes once, counters exact", async () => {
    const { spec, logFile } = cluster();
    const service = await startServiceProcess(LOAD_FIXTURE, { LOG: logFile });
    const nodes = await startNodes(spec, ["a", "b", "c"]);
    await registerOnEveryNode(nodes, service.url);
    await evenlySpread(nodes, PARTITIONS); // SPREAD-DEPENDENT: each of the three leads some
    await settledLeaders(nodes, PARTITIONS);

    // Clients go round every node alive; a lost answer is sent again (same key) to the next one.
    let live: readonly ClusterNode[] = nodes;
    const load = new ClusterLoad({ targets: () => live, total: 160 });
    // Mid-load, at a point that is not a round number of answers.
    await load.answered(Math.floor(160 / 3 + Math.random() * 20));
    const before = await everyPartitionLed(nodes, PARTITIONS);
    const victim = mostLeading(nodes, before);
    victim.child.kill("SIGKILL");
    await victim.exited;
    const killedAt = Date.now();
    live = nodes.filter((n) => n !== victim);
    const after = await everyPartitionLed(live, PARTITIONS);
    const ledAgainAt = Date.now();
    await evenlySpread(live, PARTITIONS); // SPREAD-DEPENDENT: the victim's partitions go to both others
    await load.done;

    const answers = [...load.answers.values()];
    const from = (name: string) => answers.filter((a) => a.from === name).length;
    console.log(
      `kill -9 of ${victim.name} (lease 2s): leaders ${describeLeaders(before)} → ${describeLeaders(after)}, every partition led again after ` +
        `${ledAgainAt - killedAt} ms; answers ${nodes.map((n) => `${n.name} ${from(n.name)}`).join(", ")}; ` +
        `refused attempts ${describeRefusals(load.refusals)}; longest wait ${longestWait(load, killedAt, ledAgainAt)} ms`,
    );
    expect(from(victim.name)).toBeGreaterThan(0);
    expect(from(victim.name)).toBeLessThan(load.requests.length);
    await verifyExactlyOnce(load, live[0]!, logFile);
    for (const node of live) expect(await stopNode(node), `${node.name}'s exit`).toBe(0);
  }, 120_000);

  it("SIGSTOP of a leader past its lease: the others take over; after SIGCONT it writes nothing, duplicates nothing, and serves requests again", async () => {
    const { spec, logFile } = cluster();
    const service = await startServiceProcess(LOAD_FIXTURE, { LOG: logFile, SLOW_MS: "1500" });
    // A long lease leaves room to hold lease updates back while the woken node, on a busy machine, gets going.
    const nodes = await startNodes(spec, ["a", "b", "c"], { leaseTtl: "5s" });
    await registerOnEveryNode(nodes, service.url);
    await evenlySpread(nodes, PARTITIONS); // SPREAD-DEPENDENT: each of the three leads some
    const leaders = await settledLeaders(nodes, PARTITIONS);
    const victim = mostLeading(nodes, leaders);
    const others = nodes.filter((n) => n !== victim);
    const victimLeads = (id: string) => leaders.get(partitionOf(partitionKeyOf(id as InvocationId), PARTITIONS)) === victim.name;

    // Sent again (same key) while a 503 says the partition is between leaders.
    const sendSlow = (key: string) =>
      eventually(`Load/slow ${key} accepted`, async () => {
        const res = await post(`${others[0]!.ingressUrl}/Load/slow/send`, null, key);
        return res.status === 202 ? ((await res.json()) as { invocationId: string }).invocationId : undefined;
      });
    // A reference run of Load/slow undisturbed, for the journal length every other run must have.
    const reference = await sendSlow("slow-ref");
    expect(await attachOutput(others[0]!, reference)).toBe("done");

    // Clients of the two other nodes only: a client of the paused node would leave requests in its
    // socket that it reads on waking. Requests for its partitions reach it forwarded, and a node never
    // forwards a forwarded request again, so on waking it can only propose them (and meet the fence).
    const load = new ClusterLoad({ targets: () => others, attemptTimeoutMs: 5_000, prefix: "first-" });
    await load.answered(30);

    // Pause the victim while its attempts of Load/slow wait in the service: they finish during the pause
    // and leave their commands (a send to Tally/slow, the output) in its socket for when it wakes.
    const slowIds: string[] = [];
    for (let i = 0; slowIds.filter(victimLeads).length < 4; i++) slowIds.push(await sendSlow(`slow-${i}`));
    await eventually("every slow attempt on the victim's partitions to start", async () =>
      slowIds.filter(victimLeads).every((id) => logLines(logFile).includes(`slow ${id}`)) ? true : undefined,
    );
    victim.child.kill("SIGSTOP");
    const stoppedAt = Date.now();
    const takenOver = await everyPartitionLed(others, PARTITIONS);
    const takenOverAt = Date.now();
    await load.answered(load.answers.size + 30);
    await load.stop();
    console.log(
      `SIGSTOP of ${victim.name} (lease 5s): leaders ${describeLeaders(leaders)} → ${describeLeaders(takenOver)} after ${takenOverAt - stoppedAt} ms; ` +
        `refused attempts ${describeRefusals(load.refusals)}; longest wait ${longestWait(load, stoppedAt, takenOverAt)} ms`,
    );

    // Quiet before the snapshot: every invocation ended, the asynchronous sends to Tally/slow arrived.
    for (const id of slowIds) expect(await attachOutput(others[0]!, id)).toBe("done");
    await forEachAtOnce(
      load.requests.filter((x) => x.kind === "send"),
      async (r) => void (await attachOutput(others[0]!, (load.answers.get(r.key)!.body as { invocationId: string }).invocationId)),
    );
    const slowCount = async () => (await (await postServed(`${others[0]!.ingressUrl}/Tally/slow/get`, null)).json()) as number;
    await eventually("the sends to Tally/slow", async () => ((await slowCount()) >= slowIds.length + 1 ? true : undefined));

    const before = await snapshot(postgres.url, { leases: true });
    const { fenced, whileHeld } = await wakeIntoFence(postgres.url, victim, 2_500);
    expect(fenced, `the victim's batch was not refused by the fence; its output:\n${victim.output()}`).toBe(true);
    expect(whileHeld).toEqual(before);
    // Give the woken event loop time to act on what waited in its sockets (its batches meet the fence).
    // Meanwhile it may take a share of the partitions back (partition balancing), at a new epoch: an idle
    // partition changing hands writes no row.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const after = await snapshot(postgres.url, { leases: true });
    const moved = movedPartitions(before, after);
    expect(rowsOf(after, moved.length > 0)).toEqual(rowsOf(before, moved.length > 0));
    // What the woken node leads now, it took anew (a new epoch), not kept from before its pause.
    const leadsNow = await ledBy(victim);
    expect(leadsNow.filter((p) => !moved.includes(p)), "partitions the woken node leads at its old epoch").toEqual([]);
    console.log(`after SIGCONT: no row changed; partitions that changed hands meanwhile: ${JSON.stringify(moved)}`);

    // The woken node rejoins: it answers requests again (forwarding those for partitions others lead).
    const rejoined = new ClusterLoad({ targets: () => [victim], total: 20, prefix: "rejoined-" });
    await rejoined.done;
    expect(rejoined.refusals.filter((r) => !r.reason.startsWith("503")), describeRefusals(rejoined.refusals)).toEqual([]);
    console.log(`rejoined: ${victim.name} answered ${rejoined.answers.size} requests, leading ${(await ledBy(victim)).length} partitions`);

    await evenlySpread(nodes, PARTITIONS); // SPREAD-DEPENDENT: the woken node leads its share again
    await verifyExactlyOnce([load, rejoined], others[0]!, logFile);
    expect(await slowCount()).toBe(slowIds.length + 1);
    // No journal entry duplicated: every run of a handler as long as any other of it.
    const journalSize = async (id: string) => {
      // Read again while a 503 says the partition is between leaders (the woken node taking its share).
      const res = await eventually(`invocation ${id}`, async () => {
        const answer = await fetch(`${others[0]!.adminUrl}/invocations/${id}`);
        return answer.status === 503 ? undefined : answer;
      });
      expect(res.status).toBe(200);
      const json = (await res.json()) as { status: string; journal_size: number };
      expect(json.status).toBe("completed");
      return json.journal_size;
    };
    const expected = await journalSize(reference);
    for (const id of slowIds) expect(await journalSize(id), `journal of ${id}`).toBe(expected);
    const works = await Promise.all(
      [load, rejoined].flatMap((l) => [...l.answers.values()].filter((a) => a.status === 202)).map((a) => journalSize((a.body as { invocationId: string }).invocationId)),
    );
    expect(new Set(works).size, `Load/work journal sizes ${[...new Set(works)].join(", ")}`).toBe(1);

    for (const node of nodes) expect(await stopNode(node), `${node.name}'s exit`).toBe(0);
  }, 120_000);
});
