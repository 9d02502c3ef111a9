import BetterSqlite3 from "better-sqlite3";
import fs from "node:fs";
import net, { type AddressInfo } from "node:net";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { killAll, registerDeployment, spawnNode, startServiceProcess, startStetProcess, stetBin, freePort } from "../helpers/processes.js";
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
    const dataDir = await stoppedDataFolder();

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

describe("stet wipe and a running stet", () => {
  it("refuses to wipe the folder of a running stet, names it, deletes nothing; the data survive a stop and a restart", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const dataDir = path.join(dir.path, "data");
    const service = await startServiceProcess("test/e2e/fixtures/features-service.mjs", { RUN_LOG: path.join(dir.path, "runs") });
    let stet = await startStetProcess({ dataDir });
    expect((await registerDeployment(stet.adminUrl, service.url)).status).toBe(201);
    const add = (n: number) => post(stet.ingressUrl, "/Counter/wiped/add", n);
    expect(await add(5)).toBe(5);
    const filesBefore = fs.readdirSync(dataDir).sort();

    const wipe = spawnNode([stetBin, "wipe", "--data-dir", dataDir, "--yes"]);
    expect(await wipe.exited).toBe(1);
    expect(wipe.output()).toContain(`data folder ${dataDir} is in use by a running stet (pid ${stet.child.pid}`);
    expect(wipe.output()).toContain("[STET_DATA_DIR_IN_USE]");
    expect(wipe.output()).not.toContain("removed");
    expect(fs.readdirSync(dataDir).sort()).toEqual(filesBefore);

    // The server never noticed: it keeps its files and its data.
    expect(await add(2)).toBe(7);
    stet.child.kill("SIGTERM");
    expect(await stet.exited).toBe(0);
    stet = await startStetProcess({ dataDir });
    expect(await post(stet.ingressUrl, "/Counter/wiped/get")).toBe(7);
    stet.child.kill("SIGTERM");
    expect(await stet.exited).toBe(0);

    // Once stopped, the same command wipes it.
    const second = spawnNode([stetBin, "wipe", "--data-dir", dataDir, "--yes"]);
    expect(await second.exited).toBe(0);
    expect(fs.existsSync(dataDir)).toBe(false);
  }, 60_000);
});

describe("a port that is taken", () => {
  it("fails with one line naming the port and its flag, and creates no data folder", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const { taken, release } = await occupyPort();
    try {
      for (const [flag, free] of [["--ingress-port", "--admin-port"], ["--admin-port", "--ingress-port"]] as const) {
        const dataDir = path.join(dir.path, `data${flag}`);
        const child = spawnNode([stetBin, "start", "--data-dir", dataDir, "--host", "127.0.0.1", flag, String(taken), free, String(await freePort())]);
        expect(await child.exited).toBe(1);
        const lines = child.output().trim().split("\n");
        expect(lines).toHaveLength(1);
        expect(lines[0]).toBe(
          `stet start: ${flag.slice(2, -5)} port ${taken} on 127.0.0.1 is already in use; choose another with ${flag} ` +
            `(or STET_${flag.slice(2, -5).toUpperCase()}_PORT) [STET_PORT_IN_USE]`,
        );
        expect(fs.existsSync(dataDir)).toBe(false);
      }
    } finally {
      release();
    }
  });

  it("leaves an existing data folder exactly as it was", async () => {
    const dataDir = await stoppedDataFolder();
    const snapshot = () =>
      fs
        .readdirSync(dataDir)
        .sort()
        .map((name) => {
          const stat = fs.statSync(path.join(dataDir, name));
          return [name, stat.size, stat.mtimeMs];
        });
    const before = snapshot();

    const { taken, release } = await occupyPort();
    try {
      const child = spawnNode([stetBin, "start", "--data-dir", dataDir, "--host", "127.0.0.1", "--ingress-port", String(await freePort()), "--admin-port", String(taken)]);
      expect(await child.exited).toBe(1);
      expect(child.output()).toContain("[STET_PORT_IN_USE]");
    } finally {
      release();
    }
    expect(snapshot()).toEqual(before);
  });
});

/** A data folder that a stet created and stopped cleanly. */
async function stoppedDataFolder(): Promise<string> {
  const dir = tempDir();
  dirs.push(dir);
  const dataDir = path.join(dir.path, "data");
  const first = await startStetProcess({ dataDir });
  first.child.kill("SIGTERM");
  expect(await first.exited).toBe(0);
  return dataDir;
}

/** A loopback port some other server listens on. */
async function occupyPort(): Promise<{ taken: number; release(): void }> {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
  return { taken: (blocker.address() as AddressInfo).port, release: () => blocker.close() };
}

async function post(base: string, route: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${base}${route}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return res.json();
}
