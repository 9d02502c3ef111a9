import type { QueryRow } from "../api/sql.js";

/** Rows of any query as a table; the columns are the union of the rows' keys, in first-seen order. */
export function DataTable(props: { rows: readonly QueryRow[]; caption?: string }) {
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const row of props.rows) {
    for (const key of Object.keys(row)) {
      if (!seen.has(key)) {
        seen.add(key);
        columns.push(key);
      }
    }
  }
  return (
    <div class="table-scroll">
      <table class="data">
        {props.caption === undefined ? null : <caption>{props.caption}</caption>}
        <thead>
          <tr>
            {columns.map((c) => (
              <th scope="col" key={c}>
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row, i) => (
            <tr key={i}>
              {columns.map((c) => (
                <td key={c}>{cellText(row[c])}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function cellText(value: unknown): string {
  // JSON answers leave nulls out: an absent key is a null.
  if (value === undefined || value === null) return "NULL";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}
