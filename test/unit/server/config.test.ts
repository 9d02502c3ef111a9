import path from "node:path";
import { describe, expect, it } from "vitest";
import { CONFIG_ERROR_CODES, ConfigError } from "../../../server/config-errors.js";
import { parseDuration, parseStartConfig, parseWipeConfig } from "../../../server/config.js";

const cwd = path.resolve("/srv/app");

function problemsOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("parseStartConfig", () => {
  it("defaults every setting and freezes the result", () => {
    const config = parseStartConfig({}, {}, { cwd });
    expect(config).toEqual({
      dataDir: path.join(cwd, "stet-data"),
      ingressPort: 8080,
      adminPort: 9070,
      host: "0.0.0.0",
      partitions: undefined,
      shutdownTimeoutMs: 30_000,
      logLevel: "info",
      leaseTtlMs: 10_000,
      store: undefined,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("reads the environment, and a flag wins over its variable", () => {
    const env = {
      STET_DATA_DIR: "/var/lib/stet",
      STET_INGRESS_PORT: "18080",
      STET_ADMIN_PORT: "19070",
      STET_HOST: "127.0.0.1",
      STET_PARTITIONS: "16",
      STET_SHUTDOWN_TIMEOUT: "5s",
      STET_LOG_LEVEL: "debug",
      STET_STORE: "postgres://stet:secret@db:5432/stet",
      STET_LEASE_TTL: "3s",
    };
    expect(parseStartConfig({}, env, { cwd })).toEqual({
      dataDir: "/var/lib/stet",
      ingressPort: 18080,
      adminPort: 19070,
      host: "127.0.0.1",
      partitions: 16,
      shutdownTimeoutMs: 5_000,
      logLevel: "debug",
      leaseTtlMs: 3_000,
      store: "postgres://stet:secret@db:5432/stet",
    });
    const flags = { dataDir: "data", ingressPort: "1", partitions: "4", shutdownTimeout: "250ms", logLevel: "WARN" };
    expect(parseStartConfig(flags, env, { cwd })).toMatchObject({
      dataDir: path.join(cwd, "data"),
      ingressPort: 1,
      adminPort: 19070,
      partitions: 4,
      shutdownTimeoutMs: 250,
      logLevel: "warn",
    });
  });

  it("takes a postgres:// or postgresql:// URL as the store, and names a bad one without its password", () => {
    expect(parseStartConfig({ store: "postgresql://db/stet" }, {}, { cwd }).store).toBe("postgresql://db/stet");
    for (const bad of ["mysql://u:hunter2@db/stet", "postgres://u:hunter2@/stet", "db:5432", "postgres:"]) {
      const err = problemsOf(() => parseStartConfig({ store: bad }, {}, { cwd }));
      expect(err.problems).toHaveLength(1);
      expect(err.problems[0]).toMatchObject({ source: "--store", message: expect.stringMatching(/PostgreSQL URL/) });
      expect(JSON.stringify(err.problems)).not.toContain("hunter2");
    }
  });

  it("takes a lease length as a duration within bounds", () => {
    expect(parseStartConfig({ leaseTtl: "1500ms" }, {}, { cwd }).leaseTtlMs).toBe(1500);
    for (const bad of ["100ms", "11m", "soon"]) {
      const err = problemsOf(() => parseStartConfig({ leaseTtl: bad }, {}, { cwd }));
      expect(err.problems).toEqual([expect.objectContaining({ source: "--lease-ttl", value: bad })]);
    }
  });

  it("treats an empty variable as unset", () => {
    expect(parseStartConfig({}, { STET_INGRESS_PORT: "", STET_PARTITIONS: "" }, { cwd })).toMatchObject({
      ingressPort: 8080,
      partitions: undefined,
    });
  });

  it("allows port 0 for both ports (random ports)", () => {
    expect(parseStartConfig({ ingressPort: "0", adminPort: "0" }, {}, { cwd })).toMatchObject({
      ingressPort: 0,
      adminPort: 0,
    });
  });

  it("reports every invalid value together, naming the flag or variable and the value", () => {
    const err = problemsOf(() =>
      parseStartConfig(
        {
          dataDir: "",
          ingressPort: "80a",
          host: "local host",
          partitions: "1025",
          shutdownTimeout: "-1s",
          logLevel: "loud",
        },
        { STET_ADMIN_PORT: "65536" },
        { cwd },
      ),
    );
    expect(err.code).toBe(CONFIG_ERROR_CODES.invalid);
    expect(err.problems.map((p) => p.source)).toEqual([
      "--data-dir",
      "--ingress-port",
      "STET_ADMIN_PORT",
      "--host",
      "--partitions",
      "--shutdown-timeout",
      "--log-level",
    ]);
    const lines = err.message.split("\n");
    expect(lines[0]).toBe("invalid configuration (7 problems):");
    expect(lines).toHaveLength(8);
    expect(err.message).toContain('--ingress-port "80a"');
    expect(err.message).toContain('STET_ADMIN_PORT "65536"');
    expect(err.message).toContain('--partitions "1025": must be an integer from 1 to 1024');
    expect(err.message).toContain('--shutdown-timeout "-1s"');
    expect(err.message).toContain('--log-level "loud"');
  });

  it("rejects equal ingress and admin ports, naming both sources", () => {
    const err = problemsOf(() => parseStartConfig({ adminPort: "7000" }, { STET_INGRESS_PORT: "7000" }, { cwd }));
    expect(err.problems).toHaveLength(1);
    expect(err.message).toContain("STET_INGRESS_PORT and --admin-port: both are 7000");
    // The default admin port collides too.
    expect(problemsOf(() => parseStartConfig({ ingressPort: "9070" }, {}, { cwd })).message).toContain(
      "--ingress-port and --admin-port (default): both are 9070",
    );
  });

  it("reports an option given without its value", () => {
    const err = problemsOf(() => parseStartConfig({ ingressPort: true, dataDir: "--host" }, {}, { cwd }));
    expect(err.problems.map((p) => p.message)).toEqual([
      "is missing its path (got the option --host)",
      "is missing its port",
    ]);
  });

  it("rejects zero, fractional, negative and non-numeric partition counts", () => {
    for (const bad of ["0", "1.5", "-2", "eight", "1025"]) {
      const err = problemsOf(() => parseStartConfig({ partitions: bad }, {}, { cwd }));
      expect(err.problems[0]).toMatchObject({ source: "--partitions", value: bad });
    }
    expect(parseStartConfig({ partitions: "1" }, {}, { cwd }).partitions).toBe(1);
    expect(parseStartConfig({ partitions: "1024" }, {}, { cwd }).partitions).toBe(1024);
  });

  it("rejects timeouts that are zero or too long for a Node timer", () => {
    expect(problemsOf(() => parseStartConfig({ shutdownTimeout: "0" }, {}, { cwd })).problems).toHaveLength(1);
    expect(problemsOf(() => parseStartConfig({ shutdownTimeout: "30d" }, {}, { cwd })).problems).toHaveLength(1);
    expect(problemsOf(() => parseStartConfig({ shutdownTimeout: "1000h" }, {}, { cwd })).problems).toHaveLength(1);
  });

  it("accepts IPv6 and hostnames", () => {
    expect(parseStartConfig({ host: "::" }, {}, { cwd }).host).toBe("::");
    expect(parseStartConfig({ host: "stet.internal" }, {}, { cwd }).host).toBe("stet.internal");
    expect(problemsOf(() => parseStartConfig({ host: "[::1]:80" }, {}, { cwd })).problems).toHaveLength(1);
  });
});

describe("parseDuration", () => {
  it.each([
    ["500ms", 500],
    ["10s", 10_000],
    ["2m", 120_000],
    ["1h", 3_600_000],
    ["1.5s", 1_500],
    ["750", 750],
    [" 3s ", 3_000],
  ])("%s is %d ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(["", "s", "10 sec", "-1s", "1e3", "10S", "PT10S"])("%j is not a duration", (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe("parseWipeConfig", () => {
  it("resolves the data folder like start does", () => {
    expect(parseWipeConfig({}, { STET_DATA_DIR: "x" }, { cwd })).toEqual({ dataDir: path.join(cwd, "x") });
    expect(parseWipeConfig({ dataDir: "/y" }, { STET_DATA_DIR: "x" }, { cwd })).toEqual({ dataDir: "/y" });
    expect(problemsOf(() => parseWipeConfig({ dataDir: " " }, {}, { cwd })).problems).toHaveLength(1);
  });
});
