import BetterSqlite3 from "better-sqlite3";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { killAll, spawnNode, startStetProcess, stetBin, freePort } from "../helpers/processes.js";
import { tempDir } from "../helpers/temp-dir.js";

const dirs: Array<{ remove(): void }> = [];
afterEach(() => {
  killAll();
  dirs.splice(0).forEach((d) => d.remove());
});

async function startSecond(dataDir: string) {
  const second = spawnNode([
    stetBin,
    "start",
    "--data-dir",
    dataDir,
    "--ingress-port",
    String(await freePort()),
    "--admin-port",
    String(await freePort()),
    "--host",
    "127.0.0.1",
  ]);
  return { code: await second.exited, output: second.output() };
}

describe("data folder guards", () => {
  it("refuses to start a second stet on a data folder another stet is using, and leaves the first running", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const dataDir = path.join(dir.path, "data");
    const first = await startStetProcess({ dataDir });

    const { code, output } = await startSecond(dataDir);
    expect(code).not.toBe(0);
    expect(output).toContain(`data folder ${dataDir} is in use by a running stet (pid ${first.child.pid}`);
    expect(output).toContain("STET_DATA_DIR_IN_USE");

    expect((await fetch(`${first.adminUrl}/health`)).status).toBe(200);
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
  });

  it("refuses a data folder written by a newer schema and changes nothing", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const dataDir = path.join(dir.path, "data");
    const first = await startStetProcess({ dataDir });
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);

    const db = new BetterSqlite3(path.join(dataDir, "stet.db"));
    db.prepare("UPDATE schema_versions SET version = 99 WHERE component = 'partition'").run();
    const tablesBefore = db.prepare("SELECT name FROM sqlite_master ORDER BY name").all();
    db.close();

    const { code, output } = await startSecond(dataDir);
    expect(code).not.toBe(0);
    expect(output).toContain("schema version 99");

    const after = new BetterSqlite3(path.join(dataDir, "stet.db"));
    expect(after.prepare("SELECT version FROM schema_versions WHERE component = 'partition'").get()).toEqual({ version: 99 });
    expect(after.prepare("SELECT name FROM sqlite_master ORDER BY name").all()).toEqual(tablesBefore);
    after.close();
  });
});
