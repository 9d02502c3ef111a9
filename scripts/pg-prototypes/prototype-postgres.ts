// The prototypes' PostgreSQL: the shared throwaway server (scripts/lib/postgres-server.ts) with the
// settings docs/architecture.md's measurements were taken with ("How it was measured").
import { startPostgres, type PostgresServer } from "../lib/postgres-server.js";

export type { PostgresServer };

const MEASURED_WITH: Readonly<Record<string, string>> = {
  max_connections: "50",
  shared_buffers: "256MB",
  synchronous_commit: "on",
  fsync: "on",
};

export function startPrototypePostgres(): Promise<PostgresServer> {
  return startPostgres({ settings: MEASURED_WITH, prefix: "stet-pgproto-" });
}
