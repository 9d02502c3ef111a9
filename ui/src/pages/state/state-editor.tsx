import { useState } from "preact/hooks";
import { VALUE_FORMATS, type ValueFormat } from "../../value-format.js";
import { changeFormat, draftToState, newDraftEntry, type DraftEntry } from "./state-draft.js";

/**
 * The editor of one key's whole state: each entry's key, format and value; entries can be added and
 * removed. Saving hands the complete new state up (the route replaces the state as a whole).
 */
export function StateEditor(props: { initial: DraftEntry[]; saving: boolean; onSave: (entries: Array<[string, Uint8Array]>) => void; onCancel: () => void }) {
  const [rows, setRows] = useState(props.initial);
  const [errors, setErrors] = useState<string[]>([]);
  const update = (id: number, change: (row: DraftEntry) => DraftEntry) => setRows((rs) => rs.map((r) => (r.id === id ? change(r) : r)));
  const save = (event: Event) => {
    event.preventDefault();
    const result = draftToState(rows);
    if ("errors" in result) {
      setErrors(result.errors);
      return;
    }
    setErrors([]);
    props.onSave(result.entries);
  };
  return (
    <form class="state-editor" aria-label="Edit state" onSubmit={save}>
      {rows.length === 0 ? <p class="empty">No entries: saving clears the state.</p> : null}
      {rows.map((row, i) => (
        <fieldset key={row.id} class="state-entry" data-entry={row.key}>
          <legend class="sr-only">Entry {i + 1}</legend>
          <label>
            Key
            <input value={row.key} spellcheck={false} onInput={(e) => update(row.id, (r) => ({ ...r, key: e.currentTarget.value }))} />
          </label>
          <label>
            Format
            <select value={row.format} onChange={(e) => update(row.id, (r) => changeFormat(r, e.currentTarget.value as ValueFormat))}>
              {VALUE_FORMATS.map((f) => (
                <option key={f.format} value={f.format}>
                  {f.label}
                </option>
              ))}
            </select>
          </label>
          <button type="button" class="danger" aria-label={`Remove ${row.key === "" ? `entry ${i + 1}` : row.key}`} onClick={() => setRows((rs) => rs.filter((r) => r.id !== row.id))}>
            Remove
          </button>
          <label class="state-value">
            Value of {row.key === "" ? `entry ${i + 1}` : row.key}
            <textarea rows={Math.min(12, Math.max(2, row.text.split("\n").length))} spellcheck={false} value={row.text} onInput={(e) => update(row.id, (r) => ({ ...r, text: e.currentTarget.value }))} />
          </label>
        </fieldset>
      ))}
      {errors.length === 0 ? null : (
        <div class="error" role="alert">
          <strong>The state was not saved: </strong>
          {errors.join("; ")}
        </div>
      )}
      <div class="toolbar">
        <button type="button" onClick={() => setRows((rs) => [...rs, newDraftEntry()])}>
          Add entry
        </button>
        <button type="submit" class="primary" disabled={props.saving}>
          Save state
        </button>
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
