import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// `npm start` (the README's first command), the Docker image and docker-compose must run the bin the
// build writes; a rename of the bin once left `npm start` pointing at a file the build deletes.
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const pkg = JSON.parse(fs.readFileSync(path.join(repo, "package.json"), "utf8")) as { bin: { stet: string }; scripts: { start: string } };
const read = (file: string) => fs.readFileSync(path.join(repo, file), "utf8");

describe("the ways to run stet", () => {
  it("npm start builds, then runs the package's bin, which starts", () => {
    const match = /^npm run build --silent && node (\S+) start$/.exec(pkg.scripts.start);
    expect(match?.[1]).toBe(pkg.bin.stet);
    const run = spawnSync(process.execPath, [path.join(repo, pkg.bin.stet), "start", "--help"], { encoding: "utf8", timeout: 20_000 });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("--data-dir");
  });

  it("the bin runs by itself (executable, with a node shebang)", () => {
    const file = path.join(repo, pkg.bin.stet);
    expect(fs.readFileSync(file, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
    expect(fs.statSync(file).mode & 0o111).toBe(0o111);
    const run = spawnSync(file, ["--version"], { encoding: "utf8", timeout: 20_000 });
    expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("the Docker image and docker-compose run the same bin", () => {
    expect(read("Dockerfile")).toContain(`CMD ["node", "${pkg.bin.stet}", "start"`);
    expect(read("docker-compose.yml")).toContain(`command: ["node", "${pkg.bin.stet}", "start"`);
  });

  it("the Docker image's build stage copies every folder tsconfig.json compiles", () => {
    const { include } = JSON.parse(read("tsconfig.json")) as { include: string[] };
    const dockerfile = read("Dockerfile");
    for (const folder of include) expect(dockerfile, folder).toContain(`COPY ${folder} ./${folder}`);
  });
});
