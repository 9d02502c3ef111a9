/**
 * Map keys made of several strings: each part carries its length, so no choice of parts can run into
 * another (`("ab", "c")` and `("a", "bc")` differ), whatever characters an object key holds.
 */
export function compositeKey(...parts: readonly string[]): string {
  let key = "";
  for (const part of parts) key += `${part.length}:${part}`;
  return key;
}

/** Bytes as a string with one character per byte: a map key for a state key. */
export function bytesKey(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
}

/**
 * A copy of bytes the caller handed in, as the store keeps it: the caller's buffer may be reused or be a
 * view into a larger one that must not stay alive (and SQLite hands back Buffers too).
 */
export function copyBytes(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes);
}

/** A row's fixed cost in the size estimate: the object, its map entry and index entries. */
export const ROW_BYTES = 96;

/** The size estimate of a row with these strings and byte fields (strings counted as UTF-16). */
export function rowBytes(...fields: ReadonlyArray<string | Uint8Array | null>): number {
  let bytes = ROW_BYTES;
  for (const field of fields) if (field !== null) bytes += typeof field === "string" ? field.length * 2 : field.byteLength;
  return bytes;
}
