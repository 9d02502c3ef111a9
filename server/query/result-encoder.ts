/** One result row as the query side produces it: values in column order (names may repeat). */
export type ResultRow = readonly unknown[];

/**
 * Encodes a `/query` result as it streams: `start` once, `batch` per batch of rows, `end` once; the
 * concatenation is the response body.
 */
export interface ResultEncoder {
  readonly contentType: string;
  start(): Uint8Array;
  batch(rows: readonly ResultRow[]): Uint8Array;
  end(): Uint8Array;
}
