import { base64Url } from "./bytes.js";
import { sha256 } from "./sha256.js";

/**
 * The version of an object's whole state, as Restate 1.7 and stet compute it (stet: partition/apply/
 * state-mutation.ts `stateVersion`), so that `POST /services/{s}/state` applies an edit only to the state
 * the person saw: pairs sorted by key bytes; SHA-256 over, for the i-th pair, `u64 big-endian i, 0x01,
 * key, 0x02, value, 0x03`; base64url without padding.
 */
export function stateVersion(entries: ReadonlyArray<readonly [Uint8Array, Uint8Array]>): string {
  const sorted = [...entries].sort(([a], [b]) => compareBytes(a, b));
  const size = sorted.reduce((n, [k, v]) => n + 8 + 3 + k.length + v.length, 0);
  const buffer = new Uint8Array(size);
  const view = new DataView(buffer.buffer);
  let at = 0;
  sorted.forEach(([key, value], i) => {
    view.setBigUint64(at, BigInt(i));
    at += 8;
    buffer[at++] = 1;
    buffer.set(key, at);
    at += key.length;
    buffer[at++] = 2;
    buffer.set(value, at);
    at += value.length;
    buffer[at++] = 3;
  });
  return base64Url(sha256(buffer));
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}
