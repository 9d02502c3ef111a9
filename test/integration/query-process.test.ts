import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { QueryProcess } from "../../server/query/query-process.js";
import { startTestStet, type TestStet } from "../helpers/stet.js";

// The query process on its own: its queue bound, its idle exit, and a build without it.

const COUNT = "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 1000) SELECT count(*) AS n FROM r";
const open: Array<TestStet | QueryProcess> = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

async function start(options: Partial<ConstructorParameters<typeof QueryProcess>[0]> = {}): Promise<{ stet: TestStet; queries: QueryProcess }> {
  const stet = await startTestStet();
  open.push(stet);
  const queries = new QueryProcess({ store: { sqlite: stet.node.dataDir.dbFile }, live: () => [], ...options });
  open.push(queries);
  return { stet, queries };
}

async function text(answer: Promise<{ body: NodeJS.ReadableStream }>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of (await answer).body) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString();
}

function running(dbFile: string): boolean {
  try {
    execFileSync("pgrep", ["-f", `stet-query.cjs ${dbFile}`]);
    return true;
  } catch {
    return false;
  }
}

describe("the query process", () => {
  it("refuses a query beyond its waiting bound with STET_QUERY_BUSY (429) and runs the others", async () => {
    const { queries } = await start({ maxWaiting: 1, limitMs: 60_000 });
    // The process has not started yet, so none runs: the first two wait, the third is one too many.
    const first = text(queries.run(COUNT, "json"));
    const second = text(queries.run(COUNT, "json"));
    await expect(queries.run(COUNT, "json")).rejects.toMatchObject({ code: "STET_QUERY_BUSY", status: 429 });
    expect(await Promise.all([first, second])).toEqual(['{"rows":[{"n":1000}]}', '{"rows":[{"n":1000}]}']);
  });

  it("exits when idle and starts again for the next query", async () => {
    const { stet, queries } = await start({ idleMs: 50 });
    const dbFile = stet.node.dataDir.dbFile;
    expect(await text(queries.run("SELECT 1 AS one", "json"))).toBe('{"rows":[{"one":1}]}');
    expect(running(dbFile)).toBe(true);
    // The process runs under SCHED_IDLE: on a saturated machine (two test workers on two cores) its idle
    // timer may wait seconds for a free moment of CPU before it can exit.
    await expect.poll(() => running(dbFile), { timeout: 20_000 }).toBe(false);
    expect(await text(queries.run("SELECT 2 AS two", "json"))).toBe('{"rows":[{"two":2}]}');
  });

  it("sends a query once more to a new process when its process dies before answering, then fails it (500)", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "stet-query-dies-"));
    const starts = path.join(dir, "starts");
    const entry = path.join(dir, "dies.cjs");
    // A stand-in query process: ready, then it dies on the first query it gets.
    writeFileSync(entry, `require("fs").appendFileSync(${JSON.stringify(starts)}, "x"); process.send({ type: "ready" }); process.on("message", () => process.exit(3));`);
    try {
      const { queries } = await start({ entry });
      await expect(queries.run("SELECT 1", "json")).rejects.toMatchObject({ code: "STET_QUERY_FAILED", status: 500, message: expect.stringContaining("code 3") });
      expect(readFileSync(starts, "utf8")).toBe("xx");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("answers STET_QUERY_UNAVAILABLE (503) when the query engine is not built, and after close", async () => {
    const { queries } = await start({ entry: "/nonexistent/stet-query.cjs" });
    await expect(queries.run("SELECT 1", "json")).rejects.toMatchObject({ code: "STET_QUERY_UNAVAILABLE", status: 503 });
    await queries.close();
    await expect(queries.run("SELECT 1", "json")).rejects.toMatchObject({ code: "STET_QUERY_UNAVAILABLE", status: 503 });
  });
});
