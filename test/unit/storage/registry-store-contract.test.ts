import { afterEach, describe } from "vitest";
import { PgRegistryStore } from "../../../postgres/index.js";
import { SqliteRegistryStore } from "../../../sqlite/registry/sqlite-registry-store.js";
import { openDatabase } from "../../../sqlite/store/open-database.js";
import { usePostgres } from "../../helpers/postgres.js";
import { registryStoreContract, type RegistryStoreKind } from "./registry-store-contract.js";

/** A kind of store; `use()` runs in its describe block, so a PostgreSQL server starts only for its own tests. */
interface Kind {
  readonly name: string;
  use(): RegistryStoreKind;
}

const sqlite: Kind = {
  name: "SQLite in memory",
  use: () => {
    const opened: ReturnType<typeof openDatabase>[] = [];
    afterEach(() => {
      for (const db of opened.splice(0)) db.close();
    });
    return {
      open: async () => {
        const db = openDatabase(":memory:");
        opened.push(db);
        // As a plain SQLite database has it: the store must remove services itself, not through the cascade.
        db.pragma("foreign_keys = OFF");
        return {
          store: new SqliteRegistryStore(db),
          another: async () => new SqliteRegistryStore(db),
          exec: async (sql) => void db.exec(sql),
          count: async (table) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n,
          uriTaken: /UNIQUE constraint failed: registry_deployments\.uri/,
        };
      },
    };
  },
};

const pg: Kind = {
  name: "PostgreSQL",
  use: () => {
    const postgres = usePostgres();
    return {
      // Each store on a pool of its own, as each node of a cluster has; usePostgres closes them after the test.
      open: async () => {
        const db = await postgres.connect();
        return {
          store: await PgRegistryStore.open(db),
          another: async () => PgRegistryStore.open(await postgres.connect()),
          exec: async (sql) => void (await db.query(sql)),
          count: async (table) => (await db.query<{ n: number }>(`SELECT count(*)::integer AS n FROM ${table}`)).rows[0]!.n,
          uriTaken: /duplicate key value violates unique constraint "registry_deployments_uri_key"/,
        };
      },
    };
  },
};

describe.each([sqlite, pg].map((kind) => [kind.name, kind] as const))("RegistryStore on %s", (_, kind) => registryStoreContract(kind.use()));
