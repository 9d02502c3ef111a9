import path from "node:path";
import pg from "pg";
import { afterEach } from "vitest";
import { eventually } from "./eventually.js";
import type { TestPostgres } from "./postgres.js";
import { killAll, registerDeployment, startStetProcess, type StetProcess } from "./processes.js";
import { parsePrometheusText } from "./prometheus-text.js";
import { tempDir } from "./temp-dir.js";

// Cluster nodes as real processes on one PostgreSQL database, and what the cluster e2e tests ask of
// them: who leads which partition, every row the nodes wrote, a paused leader woken into the fence.

/** What every node of one test's cluster shares. */
export interface ClusterSpec {
  /** The test's database: its `postgres://` URL. */
  readonly store: string;
  /** Folder under which each node gets a data folder named after it. */
  readonly root: string;
  readonly partitions: number;
  /** `--lease-ttl`; default 2s. */
  readonly leaseTtl?: string;
}

export interface ClusterNode extends StetProcess {
  /** The test's name for it ("a", "b", …); answers and refusals are told apart by it. */
  readonly name: string;
  readonly dataDir: string;
}

/**
 * Starts a node in a data folder of its own (a cluster node keeps only its id there). `ports` reuses a
 * stopped node's ports, so that clients find the restarted node where they found the old one; should
 * another process have bound one of them meanwhile, the node starts on new ports.
 */
export async function startNode(
  spec: ClusterSpec,
  name: string,
  options: { leaseTtl?: string; dataDir?: string; ports?: StetProcess } = {},
): Promise<ClusterNode> {
  const dataDir = options.dataDir ?? path.join(spec.root, name);
  const extraArgs = ["--store", spec.store, "--lease-ttl", options.leaseTtl ?? spec.leaseTtl ?? "2s", "--partitions", String(spec.partitions)];
  const port = (url: string) => Number(new URL(url).port);
  const start = (ports?: StetProcess) =>
    startStetProcess({ dataDir, extraArgs, ...(ports === undefined ? {} : { ingressPort: port(ports.ingressUrl), adminPort: port(ports.adminUrl) }) });
  const node = await start(options.ports).catch((error: unknown) => {
    if (options.ports === undefined || !String(error).includes("[STET_PORT_IN_USE]")) throw error;
    return start();
  });
  return { ...node, name, dataDir };
}

/**
 * For a test file of cluster tests: each test gets a folder for its nodes and its service's log, and a
 * cluster on its own database; after each test every process left is killed and the folder removed.
 */
export function useClusterFolders(postgres: TestPostgres, partitions: number): () => { spec: ClusterSpec; logFile: string } {
  const dirs: Array<{ remove(): void }> = [];
  afterEach(() => {
    killAll();
    dirs.splice(0).forEach((d) => d.remove());
  });
  return () => {
    const dir = tempDir();
    dirs.push(dir);
    return { spec: { store: postgres.url, root: dir.path, partitions }, logFile: path.join(dir.path, "log") };
  };
}

/** Nodes started one after another, in the order named. */
export async function startNodes(spec: ClusterSpec, names: readonly string[], options: { leaseTtl?: string } = {}): Promise<ClusterNode[]> {
  const nodes: ClusterNode[] = [];
  for (const name of names) nodes.push(await startNode(spec, name, options));
  return nodes;
}

/**
 * Registers the deployment at `uri` through the first node, then waits until every node serves its
 * services: another node sees a registration at its next registry refresh, and answers 404 until then.
 */
export async function registerOnEveryNode(nodes: readonly ClusterNode[], uri: string): Promise<void> {
  const res = await registerDeployment(nodes[0]!.adminUrl, uri);
  if (res.status !== 201) throw new Error(`registering ${uri} answered ${res.status}: ${await res.text()}`);
  const { services } = (await res.json()) as { services: Array<{ name: string }> };
  for (const node of nodes) {
    await eventually(`${node.name} to serve ${uri}'s services`, async () => {
      const health = await fetch(`${node.ingressUrl}/restate/health`, { signal: AbortSignal.timeout(5_000) });
      const known = ((await health.json()) as { services?: string[] }).services ?? [];
      return services.every((s) => known.includes(s.name)) ? true : undefined;
    });
  }
}

/** SIGTERM, then the exit code (0 for a clean shutdown). */
export async function stopNode(node: StetProcess): Promise<number | string> {
  node.child.kill("SIGTERM");
  return node.exited;
}

/** The partitions `node` leads, from its `stet_partition_leader` gauges. */
export async function ledBy(node: StetProcess): Promise<number[]> {
  const res = await fetch(`${node.adminUrl}/metrics`, { signal: AbortSignal.timeout(5_000) });
  return parsePrometheusText(await res.text())
    .filter((s) => s.name === "stet_partition_leader" && s.value === 1)
    .map((s) => Number(s.labels["partition"]))
    .sort((x, y) => x - y);
}

export async function leaderCount(node: StetProcess): Promise<number> {
  return (await ledBy(node)).length;
}

/** Each partition's leader among `nodes` (by name); undefined while a partition has none, or two. */
export async function leadersAmong(nodes: readonly ClusterNode[], partitions: number): Promise<Map<number, string> | undefined> {
  return leadersOf(await ledByEach(nodes), partitions);
}

async function ledByEach(nodes: readonly ClusterNode[]): Promise<Array<{ name: string; partitions: number[] }>> {
  return Promise.all(nodes.map(async (n) => ({ name: n.name, partitions: await ledBy(n) })));
}

function leadersOf(led: ReadonlyArray<{ name: string; partitions: readonly number[] }>, partitions: number): Map<number, string> | undefined {
  const leaders = new Map<number, string>();
  for (const { name, partitions: ps } of led) {
    for (const p of ps) {
      if (leaders.has(p)) return undefined;
      leaders.set(p, name);
    }
  }
  return leaders.size === partitions ? leaders : undefined;
}

/** Waits until every partition is led by exactly one of `nodes`; resolves with who leads which. */
export function everyPartitionLed(nodes: readonly ClusterNode[], partitions: number, timeoutMs = 20_000): Promise<Map<number, string>> {
  return eventually(
    `every partition led by one of ${nodes.map((n) => n.name).join(", ")}`,
    async () => {
      const led = await ledByEach(nodes);
      const leaders = leadersOf(led, partitions);
      // Thrown, so that a timeout says who led what at the end.
      if (leaders === undefined) throw new Error(`leading: ${led.map((l) => `${l.name} [${l.partitions.join(",")}]`).join(", ")}`);
      return leaders;
    },
    timeoutMs,
  );
}

/**
 * Waits until every partition is led by one of `nodes` and no partition has changed hands for `quietMs`
 * (nodes that just joined take their share within a few placement rounds); resolves with who leads which.
 */
export async function settledLeaders(nodes: readonly ClusterNode[], partitions: number, quietMs = 2_000): Promise<Map<number, string>> {
  let seen: { leaders: string; since: number } | undefined;
  return eventually(
    `the leaders of ${nodes.map((n) => n.name).join(", ")} to stay put for ${quietMs} ms`,
    async () => {
      const leaders = await leadersAmong(nodes, partitions);
      const key = JSON.stringify(leaders === undefined ? null : [...leaders].sort(([p], [q]) => p - q));
      if (seen?.leaders !== key) seen = { leaders: key, since: Date.now() };
      return leaders !== undefined && Date.now() - seen.since >= quietMs ? leaders : undefined;
    },
    30_000,
  );
}

/**
 * SPREAD-DEPENDENT (partition/placement.ts spreads partitions evenly over the live nodes): waits until
 * every partition is led by one of `nodes` and each node leads floor(P/N) or ceil(P/N) of them.
 */
export function evenlySpread(nodes: readonly ClusterNode[], partitions: number, timeoutMs = 20_000): Promise<Map<number, string>> {
  const [least, most] = [Math.floor(partitions / nodes.length), Math.ceil(partitions / nodes.length)];
  return eventually(
    `each of ${nodes.map((n) => n.name).join(", ")} to lead ${least === most ? least : `${least} or ${most}`} of the ${partitions} partitions`,
    async () => {
      const led = await ledByEach(nodes);
      const leaders = leadersOf(led, partitions);
      if (leaders !== undefined && led.every((l) => l.partitions.length >= least && l.partitions.length <= most)) return leaders;
      // Thrown, so that a timeout says who led what at the end.
      throw new Error(`leading: ${led.map((l) => `${l.name} [${l.partitions.join(",")}]`).join(", ")}`);
    },
    timeoutMs,
  );
}

/** Who leads which partition, for a test's log: `{"0":"a","1":"b",…}`. */
export function describeLeaders(leaders: ReadonlyMap<number, string>): string {
  return JSON.stringify(Object.fromEntries([...leaders].sort(([p], [q]) => p - q)));
}

/** The node of `nodes` that leads the most partitions in `leaders` (the first such). */
export function mostLeading(nodes: readonly ClusterNode[], leaders: ReadonlyMap<number, string>): ClusterNode {
  const count = (n: ClusterNode) => [...leaders.values()].filter((name) => name === n.name).length;
  return nodes.reduce((best, n) => (count(n) > count(best) ? n : best));
}

/**
 * Every row of every table the nodes write, as sorted JSON, except the leases and the nodes' directory:
 * both are liveness (renewed all the time, and a node leaving removes its row), not partition state.
 * `leases` adds who holds each partition at which epoch, without the expiry.
 */
export async function snapshot(url: string, options: { leases?: boolean } = {}): Promise<Record<string, string[]>> {
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
    if (options.leases === true) {
      const leases = await client.query<{ row: string }>("SELECT jsonb_build_object('partition', partition_id, 'holder', holder, 'epoch', epoch)::text AS row FROM leases");
      out["leases"] = leases.rows.map((r) => r.row).sort();
    }
    return out;
  } finally {
    await client.end();
  }
}

/** The partitions whose lease changed epoch between two snapshots taken with `leases`. */
export function movedPartitions(before: Record<string, string[]>, after: Record<string, string[]>): number[] {
  const epochs = (snap: Record<string, string[]>) =>
    new Map((snap["leases"] ?? []).map((row) => JSON.parse(row) as { partition: number; epoch: number }).map((l) => [l.partition, l.epoch]));
  const [was, is] = [epochs(before), epochs(after)];
  return [...new Set([...was.keys(), ...is.keys()])].filter((p) => was.get(p) !== is.get(p)).sort((x, y) => x - y);
}

/**
 * A snapshot's rows, to compare across a time when idle partitions may change hands: without the
 * leases, and without the sequence when some did (a new leader moves to a fresh block of numbers).
 */
export function rowsOf(snap: Record<string, string[]>, partitionsMoved: boolean): Record<string, string[]> {
  const { leases: _leases, partition_seq_blocks: sequence, ...rows } = snap;
  return partitionsMoved ? rows : { ...rows, partition_seq_blocks: sequence! };
}

/**
 * Wakes `node`, paused past its lease, so that its first batch meets the database's fence. On waking,
 * its overdue renewal races that batch; if the renewal failed first, the node would step down in memory
 * and never reach the fence. Lease updates are held back (holdLeaseUpdates) until the node reports the
 * refusal, or for `holdMs` at most: live leaders renew every third of a lease, so keep it well under two
 * thirds of one, or their renewals, held back too, land after their leases expired.
 * No lease changes hands meanwhile, so every row must be as in `before`: `whileHeld` is taken then.
 */
export async function wakeIntoFence(url: string, node: StetProcess, holdMs = 1_500): Promise<{ fenced: boolean; whileHeld: Record<string, string[]> }> {
  const held = await holdLeaseUpdates(url);
  try {
    node.child.kill("SIGCONT");
    const fenced = await node.waitForOutput("is lost: now held by", holdMs).then(
      () => true,
      () => false,
    );
    return { fenced, whileHeld: await snapshot(url, { leases: true }) };
  } finally {
    await held.release();
  }
}

/**
 * Holds back every UPDATE of the leases (renewals, takeovers) until `release()`: a SHARE lock of the
 * table, which the fence's FOR SHARE row locks pass. A woken leader's first batch then meets the fence
 * instead of its overdue renewal failing first. Hold it for less than a lease, or live leaders lose theirs.
 */
export async function holdLeaseUpdates(url: string): Promise<{ release(): Promise<void> }> {
  const locker = new pg.Client({ connectionString: url });
  await locker.connect();
  await locker.query("BEGIN");
  await locker.query("LOCK TABLE leases IN SHARE MODE");
  return {
    async release() {
      await locker.query("COMMIT");
      await locker.end();
    },
  };
}
