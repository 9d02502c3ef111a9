import { stateMutationMarker, stateMutationSeq, type StateMutation, type StateMutationTable } from "../state-mutation-table.js";
import { RowMap, type TablePart } from "./row-map.js";
import { copyBytes, rowBytes } from "./row-keys.js";
import type { StoreContext } from "./store-context.js";
import { fromColumns, tableChanges, type Columns, type StateMutationImage, type TableChanges } from "./write-set.js";

/** State mutations waiting behind their key's lock, by the number their inbox marker carries. */
export class MemoryStateMutationTable implements StateMutationTable {
  readonly #rows: RowMap<number, StateMutationImage>;

  constructor(private readonly context: StoreContext) {
    this.#rows = new RowMap(context, "state_mutations", (r) =>
      rowBytes(r.service, r.objectKey, r.expectedVersion, ...r.stateKeys, ...r.stateValues),
    );
  }

  add(mutation: StateMutation): string {
    const seq = this.context.nextSeq("stateMutation");
    this.#rows.insert(seq, {
      seq,
      service: mutation.service,
      objectKey: mutation.key,
      expectedVersion: mutation.expectedVersion,
      stateKeys: mutation.entries.map(([key]) => copyBytes(key)),
      stateValues: mutation.entries.map(([, value]) => copyBytes(value)),
    });
    return stateMutationMarker(seq);
  }

  take(marker: string): StateMutation | undefined {
    const seq = stateMutationSeq(marker);
    const row = seq === undefined ? undefined : this.#rows.delete(seq);
    if (row === undefined) return undefined;
    return {
      service: row.service,
      key: row.objectKey,
      expectedVersion: row.expectedVersion,
      entries: row.stateKeys.map((key, i) => [key, row.stateValues[i]!] as const),
    };
  }

  get parts(): readonly TablePart[] {
    return [this.#rows];
  }

  load(rows: Columns<StateMutationImage>): void {
    for (const r of fromColumns(rows)) this.#rows.load(r.seq, r);
  }

  forget(belongs: (row: StateMutationImage) => boolean): void {
    this.#rows.forget(belongs);
  }

  changes(): TableChanges<StateMutationImage, "seq"> {
    return tableChanges(["seq", "service", "objectKey", "expectedVersion", "stateKeys", "stateValues"], ["seq"], this.#rows.changes());
  }
}
