// Shows that both fences hold: after a takeover, (a)'s next transaction fails at stet_fence (SF001) and
// stores nothing; after a seal, (b)'s next append hits the log's primary key (23505).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { FRAMES, newInvocationId, type Command } from "./model.js";
import { PgLogEngine } from "./pg-log-engine.js";
import { resetSchema } from "./pg-schema.js";
import { startPrototypePostgres } from "./prototype-postgres.js";
import { PgStateEngine } from "./pg-state-engine.js";

const invoke = (): Command => ({ k: "invoke", id: newInvocationId(), key: "", input: FRAMES.input(1), now: Date.now() });
const refused = async (what: string, p: Promise<unknown>): Promise<void> => {
  try {
    await p;
    console.log(`${what}: stored (the fence did not hold)`);
    process.exitCode = 1;
  } catch (error) {
    console.log(`${what}: refused, ${(error as { code?: string }).code} ${(error as Error).message}`);
  }
};

const server = await startPrototypePostgres();
const admin = new pg.Client(server.connection);
await admin.connect();
const dir = mkdtempSync(join(tmpdir(), "stet-pgproto-fence-"));
try {
  await resetSchema(admin, 2);
  const a = await PgStateEngine.open(server.connection, 2, 1000, "node", true);
  await a.propose(0, invoke());
  await admin.query("UPDATE leases SET epoch = epoch + 1 WHERE partition_id = 0");
  await refused("(a) after a takeover", a.propose(0, invoke()));
  console.log(`(a) invocation rows stored: ${(await admin.query("SELECT count(*) AS n FROM invocations")).rows[0].n} (1 expected)`);
  await a.close();
  const b = await PgLogEngine.open(server.connection, dir, 2, 1000, { snapshotEveryMs: 0, grouping: "node" });
  await b.propose(0, invoke());
  await admin.query("INSERT INTO log SELECT 0, max(lsn) + 1, 2, ''::bytea FROM log WHERE partition_id = 0");
  await refused("(b) after a seal", b.propose(0, invoke()));
  await b.close();
} finally {
  await admin.end();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}
