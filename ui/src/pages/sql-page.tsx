import { useState } from "preact/hooks";
import { listTables, sampleQuery } from "../api/queries.js";
import { runQuery, type QueryRow } from "../api/sql.js";
import { DataTable } from "../components/data-table.js";
import { ErrorNotice } from "../components/error-notice.js";
import { useResource } from "../use-resource.js";

const FIRST_QUERY = "SELECT target, status, created_at FROM sys_invocation ORDER BY created_at DESC LIMIT 20";

/** The person's own SELECT over the system tables, with the tables and their columns beside it. */
export function SqlPage() {
  const tables = useResource(listTables, "tables");
  const [text, setText] = useState(FIRST_QUERY);
  const [result, setResult] = useState<{ rows: QueryRow[]; ms: number } | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [running, setRunning] = useState(false);

  const run = async () => {
    setRunning(true);
    setError(undefined);
    const started = performance.now();
    try {
      const rows = await runQuery(text);
      setResult({ rows, ms: performance.now() - started });
    } catch (e) {
      setResult(undefined);
      setError(e);
    } finally {
      setRunning(false);
    }
  };

  return (
    <div class="sql-layout">
      <div>
        <h1>SQL</h1>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void run();
          }}
        >
          <label for="sql-text">Query (Ctrl+Enter runs it)</label>
          <textarea
            id="sql-text"
            rows={6}
            spellcheck={false}
            value={text}
            onInput={(e) => setText(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
                e.preventDefault();
                void run();
              }
            }}
          />
          <div class="toolbar">
            <button type="submit" disabled={running}>
              Run
            </button>
            <span class="muted" role="status">
              {running ? "Running…" : result === undefined ? "" : `${result.rows.length} ${result.rows.length === 1 ? "row" : "rows"} in ${Math.round(result.ms)} ms`}
            </span>
          </div>
        </form>
        <ErrorNotice error={error} what="The query failed" />
        {result === undefined ? null : <DataTable rows={result.rows} />}
      </div>
      <aside aria-labelledby="tables-heading">
        <h2 id="tables-heading">Tables</h2>
        <ErrorNotice error={tables.error} what="Could not list the tables" />
        <ul class="tables">
          {(tables.data ?? []).map((t) => (
            <li key={t.table}>
              <details>
                <summary>{t.table}</summary>
                <button type="button" class="link" onClick={() => setText(sampleQuery(t.table))}>
                  Query this table
                </button>
                <ul class="columns">
                  {t.columns.map((c) => (
                    <li key={c.name}>
                      <span class="mono">{c.name}</span> <span class="muted">{c.type}</span>
                    </li>
                  ))}
                </ul>
              </details>
            </li>
          ))}
        </ul>
      </aside>
    </div>
  );
}
