import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// No Docker engine runs the tests: docker-compose.yml is parsed and checked for what `docker compose
// config` would refuse (a dependency on a service its profile leaves out) and for what the cluster
// profile promises. The YAML parser is the one playwright-core (a dev dependency, for the UI tests)
// ships in its utils bundle: no dependency for one test. Merge keys on: the file uses `<<: *anchor`.
const { yaml } = createRequire(import.meta.url)("playwright-core/lib/utilsBundle") as {
  yaml: { parse(text: string, options: { merge: boolean }): unknown };
};

interface Service {
  image?: string;
  build?: string;
  command?: string[];
  profiles?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const compose = yaml.parse(fs.readFileSync(path.join(repo, "docker-compose.yml"), "utf8"), { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const services = compose.services;
/** The services `docker compose [--profile p] up` enables: those without profiles, and p's. */
const enabled = (profile?: string) =>
  Object.keys(services).filter((name) => {
    const profiles = services[name]!.profiles;
    return profiles === undefined || (profile !== undefined && profiles.includes(profile));
  });
const NODES = ["stet-1", "stet-2", "stet-3"];

describe("docker-compose.yml", () => {
  it("without a profile: stet, the greeter and the register step, as before", () => {
    expect(enabled()).toEqual(["stet", "greeter", "register"]);
    expect(services["register"]!.environment!["ADMIN_URL"]).toBe("http://stet:9070");
  });

  it("each profile's services depend only on services it enables, and every named volume is declared", () => {
    for (const profile of [undefined, "cluster"]) {
      const on = new Set(enabled(profile));
      for (const name of on) {
        for (const dependency of Object.keys(services[name]!.depends_on ?? {})) expect(on.has(dependency), `${name} -> ${dependency}`).toBe(true);
        const image = services[name]!.image ?? "";
        expect(services[name]!.build !== undefined || image !== "", `${name} has an image`).toBe(true);
      }
    }
    for (const service of Object.values(services)) {
      for (const volume of (service as { volumes?: string[] }).volumes ?? []) expect(Object.keys(compose.volumes)).toContain(volume.split(":")[0]);
    }
  });

  it("no two services publish the same host port, so both sets can run at once", () => {
    const hostPorts = Object.values(services).flatMap((s) => (s.ports ?? []).map((p) => p.split(":")[0]));
    expect(new Set(hostPorts).size).toBe(hostPorts.length);
  });

  it("profile cluster: PostgreSQL with a health check, three nodes on it announcing their service names, a register step", () => {
    expect(enabled("cluster")).toEqual(expect.arrayContaining(["postgres", ...NODES, "register-cluster", "greeter"]));
    const postgres = services["postgres"]!;
    expect(postgres.image).toMatch(/^postgres:\d+/);
    expect(postgres.healthcheck!.test.join(" ")).toContain("pg_isready");
    const { POSTGRES_USER: user, POSTGRES_PASSWORD: password, POSTGRES_DB: db } = postgres.environment!;
    for (const name of NODES) {
      const node = services[name]!;
      expect(node.profiles).toEqual(["cluster"]);
      expect(node.command).toEqual(services["stet"]!.command);
      expect(node.environment).toEqual({ STET_STORE: `postgres://${user}:${password}@postgres:5432/${db}`, STET_ADVERTISED_HOST: name });
      expect(node.depends_on).toEqual({ postgres: { condition: "service_healthy" } });
      expect(node.healthcheck!.test).toEqual(services["stet"]!.healthcheck!.test);
    }
    const register = services["register-cluster"]!;
    expect(register.command).toEqual(services["register"]!.command);
    expect(Object.keys(register.depends_on!).sort()).toEqual(["greeter", ...NODES]);
    expect(register.environment!["ADMIN_URL"]).toBe("http://stet-1:9070");
  });
});
