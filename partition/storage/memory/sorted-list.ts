/**
 * Entries kept in order, as a list of sorted chunks: finding a place is a binary search over the chunks
 * and then within one; an insert or delete moves at most a chunk's entries (and, when a chunk splits or
 * empties, the chunk list), so the cost stays near O(log n) however many entries there are, where one
 * sorted array would move half of a million timers on each insert. Entries must be distinct under
 * `compare` (every index here ends its order with a unique sequence number or key).
 */
export class SortedList<E> {
  /** Past this many entries a chunk splits in two; 512 keeps each move under a few hundred pointers. */
  static readonly CHUNK = 512;

  #chunks: E[][] = [];
  #size = 0;

  constructor(private readonly compare: (a: E, b: E) => number) {}

  get size(): number {
    return this.#size;
  }

  first(): E | undefined {
    return this.#chunks[0]?.[0];
  }

  add(entry: E): void {
    const c = this.#chunkFor(entry);
    if (c === -1) {
      this.#chunks.push([entry]);
    } else {
      const chunk = this.#chunks[c]!;
      chunk.splice(this.#position(chunk, entry), 0, entry);
      if (chunk.length > SortedList.CHUNK) this.#chunks.splice(c + 1, 0, chunk.splice(chunk.length >> 1));
    }
    this.#size++;
  }

  /** Removes the entry equal to `entry` under `compare`; false when there is none. */
  delete(entry: E): boolean {
    const c = this.#chunkFor(entry);
    if (c === -1) return false;
    const chunk = this.#chunks[c]!;
    const at = this.#position(chunk, entry);
    if (at === chunk.length || this.compare(chunk[at]!, entry) !== 0) return false;
    chunk.splice(at, 1);
    if (chunk.length === 0) this.#chunks.splice(c, 1);
    this.#size--;
    return true;
  }

  /** The entries in order; the list must not change while this runs. */
  *values(): IterableIterator<E> {
    for (const chunk of this.#chunks) yield* chunk;
  }

  /** The first chunk whose last entry is not below `entry`, or the last chunk; -1 when empty. */
  #chunkFor(entry: E): number {
    const chunks = this.#chunks;
    if (chunks.length === 0) return -1;
    let lo = 0;
    let hi = chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const chunk = chunks[mid]!;
      if (this.compare(chunk[chunk.length - 1]!, entry) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The index of the first entry of `chunk` not below `entry`. */
  #position(chunk: readonly E[], entry: E): number {
    let lo = 0;
    let hi = chunk.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.compare(chunk[mid]!, entry) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** Numbers ascending. */
export const byNumber = (a: number, b: number): number => a - b;

/** Strings by UTF-16 code unit, which is SQLite's byte order for the ASCII ids and names compared here. */
export const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Bytes as SQLite orders blobs: byte by byte, a prefix first. */
export const byBytes = (a: Uint8Array, b: Uint8Array): number => Buffer.compare(a, b);

/** Pairs of numbers, by the first and then the second (a time, then a sequence number). */
export const byNumberPair = (a: readonly [number, number], b: readonly [number, number]): number => a[0] - b[0] || a[1] - b[1];
