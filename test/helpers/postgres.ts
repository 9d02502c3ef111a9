import pg from "pg";
import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";
import { PostgresDatabase, type PostgresOptions } from "../../postgres/index.js";
import { startPostgres, type PostgresServer, type PostgresServerOptions } from "../../scripts/lib/postgres-server.js";

export type { PostgresServer };

export interface TestPostgres {
  /** The file's server (started in beforeAll, closed in afterAll). */
  readonly server: PostgresServer;
  /** The current test's own database, fresh and empty: its `postgres://` URL. */
  readonly url: string;
  /** One more fresh, empty database, for a test that needs several; its URL. */
  createDatabase(): Promise<string>;
  /** A node's connections to the current test's database (or `options.url`), closed after the test. */
  connect(options?: Partial<PostgresOptions>): Promise<PostgresDatabase>;
}

/**
 * Fsync off: a test never survives an OS crash, and a PostgreSQL crash (stop "immediate") still finds
 * every commit's WAL in the page cache; it spares the shared disk one fsync per commit of every test.
 * synchronous_commit stays on: off would lose the last commits in such a crash (seen by test/unit/scripts/postgres-server.test.ts).
 */
const TEST_SETTINGS = { fsync: "off" };

/**
 * A real PostgreSQL for one test file: one server per file (startup costs 1–2 s), and each test gets a
 * database of its own (`CREATE DATABASE`, about 0.1 s), so tests never see one another's tables. Call at
 * the top of a test file or describe block.
 */
export function usePostgres(options: PostgresServerOptions = {}): TestPostgres {
  let server: PostgresServer | undefined;
  let current: string | undefined;
  let created = 0;
  const createDatabase = async (): Promise<string> => {
    if (server === undefined) throw new Error("usePostgres: the server is not started (call createDatabase inside a test or hook)");
    const name = `stet_test_${++created}`;
    const admin = new pg.Client(server.connection);
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${name}`);
    } finally {
      await admin.end();
    }
    return server.url(name);
  };
  beforeAll(async () => {
    server = await startPostgres({ ...options, settings: { ...TEST_SETTINGS, ...options.settings } });
  });
  afterAll(async () => {
    await server?.close();
  });
  const opened: PostgresDatabase[] = [];
  beforeEach(async () => {
    current = await createDatabase();
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((db) => db.close()));
  });
  return {
    get server() {
      if (server === undefined) throw new Error("usePostgres: the server is not started yet");
      return server;
    },
    get url() {
      if (current === undefined) throw new Error("usePostgres: no database yet (read url inside a test)");
      return current;
    },
    createDatabase,
    async connect(options = {}) {
      const db = await PostgresDatabase.connect({ url: this.url, ...options });
      opened.push(db);
      return db;
    },
  };
}
