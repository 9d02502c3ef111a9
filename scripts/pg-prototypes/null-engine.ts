// The floor: the same model and batching with no storage at all, to show what the driver and the
// apply cost by themselves in this process.
import { BatchLoop, mergeStats, type Engine } from "./engine.js";
import { PartitionModel, type Command, type Outcome, type RowSink } from "./model.js";

const NO_ROWS: RowSink = {
  insertInvocation() {},
  setStatus() {},
  complete() {},
  appendJournal() {},
  deleteInvocation() {},
  setLock() {},
  pushInbox() {},
  popInbox() {},
  setState() {},
};

export class NullEngine implements Engine {
  readonly name = "floor";
  readonly #models: PartitionModel[] = [];
  readonly #loops: BatchLoop<Command>[] = [];
  constructor(
    readonly partitions: number,
    retentionMs: number,
  ) {
    for (let p = 0; p < partitions; p++) {
      const model = new PartitionModel(p, retentionMs);
      this.#models.push(model);
      this.#loops.push(new BatchLoop((cmds) => cmds.map((c) => model.apply(c, NO_ROWS))));
    }
  }
  propose(partition: number, cmd: Command): Promise<Outcome> {
    return this.#loops[partition]!.submit(cmd);
  }
  model(partition: number): PartitionModel {
    return this.#models[partition]!;
  }
  takeStats() {
    return mergeStats(this.#loops as BatchLoop<unknown>[]);
  }
  async close(): Promise<void> {}
}
