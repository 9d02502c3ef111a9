import { describe, expect, it } from "vitest";
import { PostgresDatabase, StoreUnavailableError } from "../../../postgres/index.js";
import { freePort } from "../../../scripts/lib/free-port.js";
import { usePostgres } from "../../helpers/postgres.js";

const postgres = usePostgres();

function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

async function failure(promise: Promise<unknown>): Promise<Error & { code?: string; status?: number }> {
  return promise.then(
    () => {
      throw new Error("expected a failure");
    },
    (e: Error) => e,
  );
}

describe("PostgresDatabase", () => {
  it("connects with its application name and statement timeout, and ends a statement that runs too long", async () => {
    const db = await postgres.connect({ applicationName: "stet-node-7", statementTimeoutMs: 200, idleInTransactionTimeoutMs: 150 });
    const row = (await db.query("SELECT current_setting('application_name') AS app, current_setting('statement_timeout') AS st, " +
      "current_setting('idle_in_transaction_session_timeout') AS idle")).rows[0];
    expect(row).toEqual({ app: "stet-node-7", st: "200ms", idle: "150ms" });
    // 57014 query_canceled: a slow statement is an error of its own, not an unreachable store.
    expect(await failure(db.query("SELECT pg_sleep(2)"))).toMatchObject({ code: "57014" });
  });

  it("refuses to connect where no PostgreSQL listens: STET_STORE_UNAVAILABLE, 503, with the cause and no password", async () => {
    const port = await freePort();
    const error = await failure(PostgresDatabase.connect({ url: `postgres://stet:secret@127.0.0.1:${port}/cluster` }));
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error).toMatchObject({ code: "STET_STORE_UNAVAILABLE", status: 503 });
    expect(error.message).toContain(`127.0.0.1:${port}/cluster`);
    expect(error.message).toContain("ECONNREFUSED");
    expect(error.message).not.toContain("secret");
    expect((error.cause as { code?: string }).code).toBe("ECONNREFUSED");
  });

  it("refuses a URL that is not a postgres:// URL or names no database", async () => {
    for (const url of ["mysql://h/db", "not a url", "postgres://h/", "postgres://user:pw@/db"]) {
      const error = await failure(PostgresDatabase.connect({ url }));
      expect(error, url).toMatchObject({ code: "STET_STORE_URL_INVALID" });
      expect(error.message, url).not.toContain("pw@");
    }
  });

  it("says the store is unavailable while PostgreSQL is down, and works again once it is back, on the same pool", async () => {
    const db = await postgres.connect();
    await db.query("CREATE TABLE t (v int)");
    const { server } = postgres;
    await server.stop();
    try {
      expect(await failure(db.query("INSERT INTO t VALUES (1)"))).toMatchObject({ code: "STET_STORE_UNAVAILABLE", status: 503 });
      expect(await failure(db.transaction((c) => c.query("INSERT INTO t VALUES (2)")))).toMatchObject({ code: "STET_STORE_UNAVAILABLE" });
    } finally {
      await server.start();
    }
    await db.query("INSERT INTO t VALUES (3)");
    expect((await db.query("SELECT v FROM t")).rows).toEqual([{ v: 3 }]);
  });

  it("survives PostgreSQL restarting under an idle pool and a transaction in flight", async () => {
    const db = await postgres.connect();
    await db.query("CREATE TABLE t (v int)");
    const reached = deferred();
    const restarted = deferred();
    const inFlight = db.transaction(async (c) => {
      await c.query("INSERT INTO t VALUES (1)");
      reached.resolve();
      await restarted.promise;
      await c.query("INSERT INTO t VALUES (2)");
    });
    await reached.promise;
    await postgres.server.restart();
    restarted.resolve();
    expect(await failure(inFlight)).toMatchObject({ code: "STET_STORE_UNAVAILABLE" });
    await db.query("INSERT INTO t VALUES (3)");
    expect((await db.query("SELECT v FROM t")).rows).toEqual([{ v: 3 }]);
  });

  it("commits a transaction whose work resolves and rolls back, rethrowing, one whose work throws", async () => {
    const db = await postgres.connect();
    await db.query("CREATE TABLE t (v int)");
    expect(await db.transaction(async (c) => (await c.query("INSERT INTO t VALUES (1) RETURNING v")).rows[0])).toEqual({ v: 1 });
    const thrown = new Error("changed my mind");
    expect(
      await failure(
        db.transaction(async (c) => {
          await c.query("INSERT INTO t VALUES (2)");
          throw thrown;
        }),
      ),
    ).toBe(thrown);
    expect(await failure(db.transaction((c) => c.query("INSERT INTO t VALUES ('x')")))).toMatchObject({ code: "22P02" });
    expect((await db.query("SELECT v FROM t")).rows).toEqual([{ v: 1 }]);
  });

  it("closes idempotently, waiting for connections in use", async () => {
    const db = await postgres.connect();
    const inUse = deferred();
    const release = deferred();
    const busy = db.transaction(async () => {
      inUse.resolve();
      await release.promise;
    });
    await inUse.promise;
    const closing = db.close();
    expect(db.close()).toBe(closing);
    let closed = false;
    void closing.then(() => (closed = true));
    await (await postgres.connect()).query("SELECT 1"); // a round trip elsewhere: time enough for close() to end if it would
    expect(closed).toBe(false);
    release.resolve();
    await busy;
    await closing;
    expect(await failure(db.query("SELECT 1"))).toBeInstanceOf(Error);
  });
});
