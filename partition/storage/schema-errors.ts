import { StetError } from "../../protocol/errors.js";

/**
 * A store holds a component's schema at a version this stet does not know: written by a newer stet.
 * Shared by every storage implementation (SQLite's data folder, PostgreSQL's cluster database), which
 * refuse such a store and leave it unchanged.
 */
export class SchemaTooNewError extends StetError {
  constructor(component: string, found: number, known: number, where = "data folder") {
    super(
      "STET_SCHEMA_TOO_NEW",
      `${where} holds ${component} schema version ${found}, but this stet knows versions up to ${known}; ` +
        `upgrade stet or use another ${where}`,
      { status: 500 },
    );
    this.name = "SchemaTooNewError";
  }
}
