import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { usePostgres } from "../../helpers/postgres.js";

const postgres = usePostgres();

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

const tableCount = (url: string) =>
  withClient(url, async (c) => Number((await c.query("SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public'")).rows[0].n));

/** Whether `pid` runs (a zombie does not: the postmaster's parent is PID 1, which reaps in its own time). */
function running(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] !== "Z";
  } catch {
    return false;
  }
}

function ownerUid(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("Uid:"));
  return Number(line?.split(/\s+/)[1]);
}

describe("the throwaway PostgreSQL server", () => {
  it("gives each test its own empty database", async () => {
    await withClient(postgres.url, (c) => c.query("CREATE TABLE t (v int)"));
    const other = await postgres.createDatabase();
    expect(other).not.toBe(postgres.url);
    expect(await tableCount(postgres.url)).toBe(1);
    expect(await tableCount(other)).toBe(0);
  });

  it("runs the server as the postgres user when started by root, else as the current user", () => {
    const pid = postgres.server.postmasterPid!;
    const expected = process.getuid!() === 0 ? Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" })) : process.getuid!();
    expect(ownerUid(pid)).toBe(expected);
  });

  it("restarts on the same folder and port: connections end, committed data stays", async () => {
    const { server } = postgres;
    await withClient(postgres.url, (c) => c.query("CREATE TABLE kept (v int); INSERT INTO kept VALUES (7)"));
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    const ended = new Promise<Error>((resolve) => client.on("error", resolve));
    const [port, pid] = [server.port, server.postmasterPid];
    await server.restart();
    expect((await ended).message).toMatch(/terminat/i);
    await client.end().catch(() => undefined);
    expect(server.port).toBe(port);
    expect(server.postmasterPid).not.toBe(pid);
    expect(await withClient(postgres.url, async (c) => (await c.query("SELECT v FROM kept")).rows)).toEqual([{ v: 7 }]);
  });

  it("refuses connections while stopped and serves again after start, also after a crash", async () => {
    const { server } = postgres;
    await withClient(postgres.url, (c) => c.query("CREATE TABLE kept (v int); INSERT INTO kept VALUES (1)"));
    await server.stop("immediate");
    await server.stop(); // idempotent
    expect(server.postmasterPid).toBeUndefined();
    await expect(withClient(postgres.url, (c) => c.query("SELECT 1"))).rejects.toMatchObject({ code: "ECONNREFUSED" });
    await server.start();
    expect(await withClient(postgres.url, async (c) => (await c.query("SELECT v FROM kept")).rows)).toEqual([{ v: 1 }]);
  });

  // Last: it closes the file's server (the helper's own close afterwards is a no-op).
  it("close() stops the server and deletes its folder, idempotently", async () => {
    const { server } = postgres;
    const pid = server.postmasterPid!;
    expect(running(pid)).toBe(true);
    await server.close();
    await server.close();
    expect(existsSync(server.dataDir)).toBe(false);
    expect(running(pid)).toBe(false);
    await expect(server.start()).rejects.toThrow(/closed/);
  });
});
