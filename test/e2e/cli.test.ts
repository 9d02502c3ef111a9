import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openDataDir } from "../../server/data-dir.js";

// Runs the compiled bin, as users do; `npm test` builds before vitest runs.
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const bin = path.join(repo, "dist/stet.cjs");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `stet ...args` with stdin a pipe (not a TTY) and no STET_* variables but the ones given. */
function stet(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("STET_")));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: root, env: { ...clean, ...env }, stdio: "pipe" });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.stdin.end();
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

let root: string;

beforeAll(() => {
  if (!fs.existsSync(bin)) throw new Error(`${bin} is missing: run \`npm run build\` (npm test does) first`);
});

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "stet-cli-"));
});

afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

describe("stet", () => {
  it("prints its version", async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(repo, "package.json"), "utf8")) as { version: string };
    const run = await stet(["--version"]);
    expect(run).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
  });

  it("exits 2 on an unknown command", async () => {
    const run = await stet(["frobnicate"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unknown command");
  });
});

describe("stet start", () => {
  it("exits 2 listing every invalid flag and variable at once, with no stack trace", async () => {
    const run = await stet(
      ["start", "--ingress-port", "http", "--partitions", "0", "--log-level", "loud", "--bogus", "--shutdown-timeout"],
      { STET_ADMIN_PORT: "99999" },
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("invalid configuration (6 problems)");
    for (const text of [
      "--bogus: unknown option",
      '--ingress-port "http"',
      'STET_ADMIN_PORT "99999"',
      '--partitions "0"',
      '--log-level "loud"',
      "--shutdown-timeout: is missing its duration",
    ]) {
      expect(run.stderr).toContain(text);
    }
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(fs.readdirSync(root)).toEqual([]);
  });

  it("reports an unknown option alone when every value is valid", async () => {
    const run = await stet(["start", "--data-dir", root, "--verbose", "extra"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("invalid configuration (1 problem)");
    expect(run.stderr).toContain("--verbose: unknown option");
  });

  it("refuses a partition count that conflicts with the data folder, naming both, and changes nothing", async () => {
    const dir = path.join(root, "data");
    openDataDir(dir, { partitions: 8 });
    const before = fs.readFileSync(path.join(dir, "stet.json"));
    const run = await stet(["start", "--data-dir", dir, "--partitions", "4", "--ingress-port", "0", "--admin-port", "0"]);
    expect(run.code).not.toBe(0);
    expect(run.code).not.toBeNull();
    expect(run.stderr).toMatch(/created with 8 partitions; --partitions 4 conflicts/);
    expect(run.stderr).toContain("STET_DATA_DIR_CONFLICT");
    expect(fs.readFileSync(path.join(dir, "stet.json")).equals(before)).toBe(true);
    expect(fs.readdirSync(dir)).toEqual(["stet.json"]);
  });

  it("refuses a folder that is not a stet data folder", async () => {
    fs.writeFileSync(path.join(root, "notes.txt"), "mine");
    const run = await stet(["start", "--data-dir", root, "--ingress-port", "0", "--admin-port", "0"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("STET_DATA_DIR_FOREIGN");
    expect(fs.readdirSync(root)).toEqual(["notes.txt"]);
  });
});

describe("stet wipe", () => {
  it("refuses without --yes when stdin is not a terminal", async () => {
    const dir = path.join(root, "data");
    openDataDir(dir, {});
    const run = await stet(["wipe", "--data-dir", dir]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("pass --yes");
    expect(fs.readdirSync(dir)).toEqual(["stet.json"]);
  });

  it("exits 2 on stray arguments, deleting nothing", async () => {
    const dir = path.join(root, "data");
    openDataDir(dir, {});
    const run = await stet(["wipe", "--yes", "everything", "--data-dir", dir]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('argument "everything": unexpected');
    expect(fs.readdirSync(dir)).toEqual(["stet.json"]);
  });

  it("removes a data folder with --yes and prints what it removed", async () => {
    const dir = path.join(root, "data");
    openDataDir(dir, {});
    fs.writeFileSync(path.join(dir, "stet.db"), "x");
    const run = await stet(["wipe", "--yes"], { STET_DATA_DIR: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      `removed ${path.join(dir, "stet.db")}\nremoved ${path.join(dir, "stet.lock")}\nremoved ${path.join(dir, "stet.json")}\nremoved ${dir}\n`,
    );
    expect(fs.existsSync(dir)).toBe(false);
  });

  it("refuses a folder that is not a stet data folder, even with --yes", async () => {
    fs.writeFileSync(path.join(root, "notes.txt"), "mine");
    const run = await stet(["wipe", "--data-dir", root, "--yes"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("does not look like a stet data folder");
    expect(fs.readdirSync(root)).toEqual(["notes.txt"]);
  });

  it("has nothing to do for a missing folder", async () => {
    const run = await stet(["wipe", "--data-dir", path.join(root, "absent"), "--yes"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("nothing to wipe");
  });
});
