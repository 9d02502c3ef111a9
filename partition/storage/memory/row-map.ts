import { StorageConstraintError, StorageFullError } from "./errors.js";
import { SortedList } from "./sorted-list.js";
import type { StoreContext } from "./store-context.js";

/** A secondary index of a RowMap, kept in step with every change of a row (and its undo). */
export interface RowIndex<R> {
  change(from: R | undefined, to: R | undefined): void;
  /** How this index differs from one built afresh from `rows`; empty when it does not. */
  verify(rows: Iterable<R>): string[];
}

/** What the store asks of each piece of a table (a RowMap, or a journal) beside the seam's methods. */
export interface TablePart {
  /** Bytes the piece takes, estimated. */
  readonly bytes: number;
  /** The changes since the last commit were committed: the next write set starts from here. */
  committed(): void;
  /** Where the piece's indexes disagree with its rows; empty when they agree. */
  verify(): string[];
}

/** What a table's changes since the last commit come to: rows as they are now, and rows that went. */
export interface RowChanges<R> {
  readonly upserts: R[];
  /** The deleted rows as they were at the last commit (their keys are what a database deletes). */
  readonly deletes: R[];
}

/**
 * One table's rows by primary key. Every write goes through `#write`, which keeps the indexes and the
 * size estimate in step, records its undo in the store's log, and remembers each changed key's image at
 * the last commit, so the write set holds final images only (a row written five times in a batch is one
 * upsert; a row added and deleted again is nothing).
 */
export class RowMap<K extends string | number, R> implements TablePart {
  readonly #rows = new Map<K, R>();
  readonly #atCommit = new Map<K, R | undefined>();
  #bytes = 0;

  constructor(
    private readonly context: StoreContext,
    readonly table: string,
    private readonly sizeOf: (row: R) => number,
    private readonly indexes: readonly RowIndex<R>[] = [],
  ) {}

  get(key: K): R | undefined {
    return this.#rows.get(key);
  }

  get count(): number {
    return this.#rows.size;
  }

  /** Bytes the rows take, estimated. */
  get bytes(): number {
    return this.#bytes;
  }

  values(): IterableIterator<R> {
    return this.#rows.values();
  }

  /** Adds a row; throws as a primary key would when the key is taken. */
  insert(key: K, row: R): void {
    if (this.#rows.has(key)) throw new StorageConstraintError(this.table, `a row with key ${String(key)} exists already`);
    this.#write(key, row);
  }

  /** Adds or replaces the row of `key`. */
  put(key: K, row: R): void {
    this.#write(key, row);
  }

  /** Removes the row of `key` and returns it; undefined when there was none. */
  delete(key: K): R | undefined {
    const row = this.#rows.get(key);
    if (row !== undefined) this.#write(key, undefined);
    return row;
  }

  /** Puts a row persisted earlier (a partition's load): no undo, and not part of the next write set. */
  load(key: K, row: R): void {
    this.#set(key, this.#rows.get(key), row);
  }

  /**
   * Forgets the rows `belongs` picks (a partition no longer led): gone from memory, not deleted from the
   * database, so not part of the next write set either. Only between batches: there is nothing to undo.
   */
  forget(belongs: (row: R) => boolean): R[] {
    const gone: R[] = [];
    for (const [key, row] of this.#rows) {
      if (!belongs(row)) continue;
      this.#set(key, row, undefined);
      this.#atCommit.delete(key);
      gone.push(row);
    }
    return gone;
  }

  changes(): RowChanges<R> {
    const upserts: R[] = [];
    const deletes: R[] = [];
    for (const [key, before] of this.#atCommit) {
      const now = this.#rows.get(key);
      if (now !== undefined) upserts.push(now);
      else if (before !== undefined) deletes.push(before);
    }
    return { upserts, deletes };
  }

  committed(): void {
    this.#atCommit.clear();
  }

  verify(): string[] {
    let bytes = 0;
    for (const row of this.#rows.values()) bytes += this.sizeOf(row);
    const problems = this.indexes.flatMap((index) => index.verify(this.#rows.values()));
    if (bytes !== this.#bytes) problems.push(`${this.table}: size estimate ${this.#bytes}, rows add up to ${bytes}`);
    return problems.map((p) => (p.startsWith(this.table) ? p : `${this.table}: ${p}`));
  }

  #write(key: K, row: R | undefined): void {
    this.context.writing();
    const old = this.#rows.get(key);
    if (old === undefined && row !== undefined && this.context.full) throw new StorageFullError(this.table);
    if (!this.#atCommit.has(key)) {
      this.#atCommit.set(key, old);
      this.context.onUndo(() => this.#atCommit.delete(key));
    }
    this.#set(key, old, row);
    this.context.onUndo(() => this.#set(key, row, old));
  }

  #set(key: K, from: R | undefined, to: R | undefined): void {
    if (to === undefined) this.#rows.delete(key);
    else this.#rows.set(key, to);
    this.#bytes += (to === undefined ? 0 : this.sizeOf(to)) - (from === undefined ? 0 : this.sizeOf(from));
    for (const index of this.indexes) index.change(from, to);
  }
}

/**
 * Rows grouped (by partition, object, invocation, …), each group's entries in order: the index behind
 * every "of this partition, earliest first" and "of this invocation" read. `entryOf` says where a row
 * goes (undefined: nowhere); a change that keeps a row's group and entry leaves the index alone.
 */
export class OrderedGroups<R, G, E> implements RowIndex<R> {
  readonly #groups = new Map<G, SortedList<E>>();

  constructor(
    readonly name: string,
    private readonly entryOf: (row: R) => readonly [G, E] | undefined,
    private readonly compare: (a: E, b: E) => number,
  ) {}

  /** The entries of `group` in order; the index must not change while this runs. */
  *entries(group: G): IterableIterator<E> {
    const list = this.#groups.get(group);
    if (list !== undefined) yield* list.values();
  }

  /** The entries of `group` in order, copied: safe to change the rows while going through them. */
  list(group: G): E[] {
    return [...this.entries(group)];
  }

  first(group: G): E | undefined {
    return this.#groups.get(group)?.first();
  }

  size(group: G): number {
    return this.#groups.get(group)?.size ?? 0;
  }

  change(from: R | undefined, to: R | undefined): void {
    const before = from === undefined ? undefined : this.entryOf(from);
    const after = to === undefined ? undefined : this.entryOf(to);
    if (before !== undefined && after !== undefined && before[0] === after[0] && this.compare(before[1], after[1]) === 0) return;
    if (before !== undefined) {
      const list = this.#groups.get(before[0]);
      list?.delete(before[1]);
      if (list?.size === 0) this.#groups.delete(before[0]);
    }
    if (after !== undefined) {
      let list = this.#groups.get(after[0]);
      if (list === undefined) this.#groups.set(after[0], (list = new SortedList(this.compare)));
      list.add(after[1]);
    }
  }

  verify(rows: Iterable<R>): string[] {
    const fresh = new OrderedGroups(this.name, this.entryOf, this.compare);
    for (const row of rows) fresh.change(undefined, row);
    const problems: string[] = [];
    for (const group of new Set([...this.#groups.keys(), ...fresh.#groups.keys()])) {
      const held = this.list(group);
      const expected = fresh.list(group);
      const same = held.length === expected.length && held.every((e, i) => this.compare(e, expected[i]!) === 0);
      if (!same) problems.push(`index ${this.name}: group ${String(group)} holds ${held.length} entries, its rows ${expected.length} (or in another order)`);
    }
    return problems;
  }
}
