import { describe, expect, it } from "vitest";
import { ClusterPartitionsMismatchError, PostgresDatabase, settleClusterSettings } from "../../../postgres/index.js";
import { usePostgres } from "../../helpers/postgres.js";

const postgres = usePostgres();

const settle = (db: PostgresDatabase, partitions: number | undefined) => settleClusterSettings(db, { partitions, defaultPartitions: 8 });

describe("the cluster's partition count", () => {
  it("is fixed by the first node and kept: a node with the same count or none joins, another count is refused naming both", async () => {
    const [first, second] = [await postgres.connect(), await postgres.connect()];
    const created = await settle(first, 16);
    expect(created.partitions).toBe(16);
    expect(await settle(second, 16)).toEqual(created);
    expect(await settle(second, undefined)).toEqual(created);
    const error = await settle(second, 8).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(ClusterPartitionsMismatchError);
    expect(error).toMatchObject({ code: "STET_CLUSTER_PARTITIONS_MISMATCH", stored: 16, requested: 8 });
    expect(error?.message).toMatch(/created with 16 partitions; this node was started with 8/);
    expect(error?.message).toContain(`127.0.0.1:${postgres.server.port}/`);
    expect(await settle(first, undefined)).toEqual(created);
  });

  it("takes the default for a new cluster when the node names no count", async () => {
    const db = await postgres.connect();
    expect((await settle(db, undefined)).partitions).toBe(8);
    await expect(settle(db, 4)).rejects.toMatchObject({ code: "STET_CLUSTER_PARTITIONS_MISMATCH" });
  });

  it("lets exactly one count win when nodes with different counts create the cluster at the same moment", async () => {
    const counts = [4, 8, 16, 4, 8, 16];
    const nodes = await Promise.all(counts.map(() => postgres.connect()));
    const outcomes = await Promise.allSettled(nodes.map((db, i) => settle(db, counts[i])));
    const won = outcomes.flatMap((o) => (o.status === "fulfilled" ? [o.value.partitions] : []));
    expect(won).toHaveLength(2);
    expect(won[0]).toBe(won[1]);
    for (const [i, outcome] of outcomes.entries()) {
      if (counts[i] === won[0]) expect(outcome.status).toBe("fulfilled");
      else expect(outcome).toMatchObject({ status: "rejected", reason: { code: "STET_CLUSTER_PARTITIONS_MISMATCH", stored: won[0] } });
    }
  });

  it("refuses a count that is not a positive integer before touching the database", async () => {
    const db = await postgres.connect();
    for (const bad of [0, -1, 2.5, Number.NaN]) {
      await expect(settle(db, bad)).rejects.toMatchObject({ code: "STET_STORE_INVALID_ARGUMENT" });
    }
    expect((await db.query("SELECT to_regclass('cluster_settings') AS t")).rows[0]).toEqual({ t: null });
  });
});
