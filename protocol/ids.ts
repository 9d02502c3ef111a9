import { createHash, randomFillSync } from "node:crypto";
import { ProtocolError, ProtocolErrorCode } from "./protocol-errors.js";

/**
 * Identifier formats shared with Restate, so ids look and parse the same in stet, its SDKs and
 * Restate's tools. Facts taken from Restate's public sources (crates/types: identifiers.rs,
 * id_util.rs, base62_util.rs):
 *
 * - Textual ids are `<resource>_` + scheme version `1` + fields in base62 with the alphabet
 *   `0-9a-z A-Z`, each field zero-padded on the left to a fixed width: 11 digits for a u64,
 *   22 for a u128.
 * - Restate byte-swaps each integer before base62-encoding it (`to_be()` on little-endian hosts),
 *   so the base62 number of a field is its big-endian bytes read as a little-endian integer.
 * - Invocation id: `inv_1` + partition key (u64) + invocation uuid (u128) = 38 chars. Its binary
 *   form (StartMessage.id) is the partition key big-endian followed by the 16 uuid bytes.
 * - Deployment id: `dp_1` + ULID (u128) = 26 chars.
 * - Awakeable id: `sign_1` + unpadded base64url of (invocation id bytes ‖ u32 BE signal index),
 *   as produced by the SDKs for protocol v4+. `prom_1` is the same layout with a journal entry
 *   index, from protocols ≤ v3; it is parsed (and flagged) but stet never has such invocations.
 */

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

/** Textual invocation id, `inv_1…` (38 chars). */
export type InvocationId = Brand<string, "InvocationId">;
/** A point in the u64 key space that partitions split into ranges. */
export type PartitionKey = Brand<bigint, "PartitionKey">;
/** Textual deployment id, `dp_1…` (26 chars). */
export type DeploymentId = Brand<string, "DeploymentId">;

export const INVOCATION_ID_BYTES = 24;
export const MAX_PARTITION_KEY = (1n << 64n) - 1n;

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGIT_OF = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DIGIT_OF[ALPHABET.charCodeAt(i)] = i;

const U64_DIGITS = 11;
const U128_DIGITS = 22;
const MASK_64 = MAX_PARTITION_KEY;
const MAX_U128 = (1n << 128n) - 1n;
// Five base62 digits fit a small integer, so BigInt work is done five digits at a time.
const CHUNK_DIGITS = 5;
const CHUNK = 62 ** CHUNK_DIGITS;
const CHUNK_BIG = BigInt(CHUNK);

const INVOCATION_PREFIX = "inv_1";
const INVOCATION_ID_LENGTH = INVOCATION_PREFIX.length + U64_DIGITS + U128_DIGITS;
const DEPLOYMENT_PREFIX = "dp_1";
const DEPLOYMENT_ID_LENGTH = DEPLOYMENT_PREFIX.length + U128_DIGITS;
const SIGNAL_AWAKEABLE_PREFIX = "sign_1";
const LEGACY_AWAKEABLE_PREFIX = "prom_1";
const AWAKEABLE_BYTES = INVOCATION_ID_BYTES + 4;

// ----- base62 -----

/** `value` in base62, left-padded with '0' to `width` digits (`value` must fit). */
function base62(value: bigint, width: number): string {
  let out = "";
  let rest = value;
  while (out.length < width) {
    let chunk = 0;
    if (rest > 0n) {
      chunk = Number(rest % CHUNK_BIG);
      rest /= CHUNK_BIG;
    }
    for (let i = 0; i < CHUNK_DIGITS && out.length < width; i++) {
      out = ALPHABET[chunk % 62] + out;
      chunk = Math.floor(chunk / 62);
    }
  }
  return out;
}

/** Parses `s[start, start+width)` as base62, or returns undefined on a character outside it. */
function fromBase62(s: string, start: number, width: number): bigint | undefined {
  let value = 0n;
  let i = start;
  const end = start + width;
  while (i < end) {
    const take = Math.min(CHUNK_DIGITS, end - i);
    let chunk = 0;
    for (let k = 0; k < take; k++, i++) {
      const code = s.charCodeAt(i);
      const digit = code < 128 ? DIGIT_OF[code]! : -1;
      if (digit < 0) return undefined;
      chunk = chunk * 62 + digit;
    }
    value = value * (take === CHUNK_DIGITS ? CHUNK_BIG : BigInt(62 ** take)) + BigInt(chunk);
  }
  return value;
}

// ----- invocation ids -----

function invalidInvocationId(input: string, reason: string): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.InvalidInvocationId, `invalid invocation id ${quote(input)}: ${reason}`);
}

/** Formats the 24-byte binary id (StartMessage.id) as text. */
export function invocationIdFromBytes(bytes: Uint8Array): InvocationId {
  if (bytes.byteLength !== INVOCATION_ID_BYTES) {
    throw new ProtocolError(
      ProtocolErrorCode.InvalidInvocationId,
      `binary invocation id must be ${INVOCATION_ID_BYTES} bytes, got ${bytes.byteLength}`,
    );
  }
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const key = view.readBigUInt64LE(0);
  const uuid = view.readBigUInt64LE(8) | (view.readBigUInt64LE(16) << 64n);
  return (INVOCATION_PREFIX + base62(key, U64_DIGITS) + base62(uuid, U128_DIGITS)) as InvocationId;
}

/** Builds an id from its parts; `uuid` is 16 bytes (big-endian u128), e.g. a hash for dedup. */
export function invocationIdFromParts(partitionKey: PartitionKey, uuid: Uint8Array): InvocationId {
  if (uuid.byteLength !== 16) {
    throw new ProtocolError(ProtocolErrorCode.InvalidArgument, `invocation uuid must be 16 bytes, got ${uuid.byteLength}`);
  }
  const bytes = Buffer.allocUnsafe(INVOCATION_ID_BYTES);
  bytes.writeBigUInt64BE(partitionKey, 0);
  bytes.set(uuid, 8);
  return invocationIdFromBytes(bytes);
}

/** A fresh id in the given partition key; the uuid is a ULID (ms timestamp + 80 random bits). */
export function newInvocationId(partitionKey: PartitionKey): InvocationId {
  const bytes = Buffer.allocUnsafe(INVOCATION_ID_BYTES);
  bytes.writeBigUInt64BE(partitionKey, 0);
  writeUlid(bytes, 8);
  return invocationIdFromBytes(bytes);
}

/** Validates a textual invocation id (from a URL, a header, a message). Throws 400 when malformed. */
export function parseInvocationId(input: string): InvocationId {
  if (typeof input !== "string") throw invalidInvocationId(String(input), "not a string");
  if (!input.startsWith(INVOCATION_PREFIX)) {
    throw invalidInvocationId(input, `expected the prefix '${INVOCATION_PREFIX}'`);
  }
  if (input.length !== INVOCATION_ID_LENGTH) {
    throw invalidInvocationId(input, `expected ${INVOCATION_ID_LENGTH} characters, got ${input.length}`);
  }
  const key = fromBase62(input, INVOCATION_PREFIX.length, U64_DIGITS);
  const uuid = fromBase62(input, INVOCATION_PREFIX.length + U64_DIGITS, U128_DIGITS);
  if (key === undefined || uuid === undefined) throw invalidInvocationId(input, "not base62");
  if (key > MASK_64 || uuid > MAX_U128) throw invalidInvocationId(input, "value out of range");
  return input as InvocationId;
}

/** The 24 bytes Restate puts in StartMessage.id: partition key (u64 BE) ‖ uuid (16 bytes). */
export function invocationIdToBytes(id: InvocationId): Buffer {
  const key = fromBase62(id, INVOCATION_PREFIX.length, U64_DIGITS);
  const uuid = fromBase62(id, INVOCATION_PREFIX.length + U64_DIGITS, U128_DIGITS);
  // Ids are branded after parseInvocationId; this guards against casts that skipped it.
  if (id.length !== INVOCATION_ID_LENGTH || key === undefined || uuid === undefined || key > MASK_64 || uuid > MAX_U128) {
    throw invalidInvocationId(id, "not an invocation id");
  }
  const bytes = Buffer.allocUnsafe(INVOCATION_ID_BYTES);
  bytes.writeBigUInt64LE(key, 0);
  bytes.writeBigUInt64LE(uuid & MASK_64, 8);
  bytes.writeBigUInt64LE(uuid >> 64n, 16);
  return bytes;
}

/** The partition key embedded in an invocation id (no full parse needed). */
export function partitionKeyOf(id: InvocationId): PartitionKey {
  const swapped = fromBase62(id, INVOCATION_PREFIX.length, U64_DIGITS);
  if (swapped === undefined || swapped > MASK_64 || !id.startsWith(INVOCATION_PREFIX)) {
    throw invalidInvocationId(id, "not an invocation id");
  }
  return byteSwap64(swapped) as PartitionKey;
}

function byteSwap64(value: bigint): bigint {
  const scratch = Buffer.allocUnsafe(8);
  scratch.writeBigUInt64LE(value, 0);
  return scratch.readBigUInt64BE(0);
}

// ----- deployment ids -----

function invalidDeploymentId(input: string, reason: string): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.InvalidDeploymentId, `invalid deployment id ${quote(input)}: ${reason}`);
}

/** A fresh deployment id backed by a ULID. */
export function newDeploymentId(): DeploymentId {
  const bytes = Buffer.allocUnsafe(16);
  writeUlid(bytes, 0);
  const value = bytes.readBigUInt64LE(0) | (bytes.readBigUInt64LE(8) << 64n);
  return (DEPLOYMENT_PREFIX + base62(value, U128_DIGITS)) as DeploymentId;
}

/** Validates a textual deployment id. Throws 400 when malformed. */
export function parseDeploymentId(input: string): DeploymentId {
  if (typeof input !== "string") throw invalidDeploymentId(String(input), "not a string");
  if (!input.startsWith(DEPLOYMENT_PREFIX)) {
    throw invalidDeploymentId(input, `expected the prefix '${DEPLOYMENT_PREFIX}'`);
  }
  if (input.length !== DEPLOYMENT_ID_LENGTH) {
    throw invalidDeploymentId(input, `expected ${DEPLOYMENT_ID_LENGTH} characters, got ${input.length}`);
  }
  const value = fromBase62(input, DEPLOYMENT_PREFIX.length, U128_DIGITS);
  if (value === undefined) throw invalidDeploymentId(input, "not base62");
  if (value > MAX_U128) throw invalidDeploymentId(input, "value out of range");
  return input as DeploymentId;
}

// ----- awakeable ids -----

export interface ParsedAwakeableId {
  invocationId: InvocationId;
  /** The signal index the awakeable completes (a journal entry index when `legacy`). */
  signalIndex: number;
  /** True for `prom_1` ids, made by protocols ≤ v3, which stet does not run. */
  legacy: boolean;
}

function invalidAwakeableId(input: string, reason: string): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.InvalidAwakeableId, `invalid awakeable id ${quote(input)}: ${reason}`);
}

/** `sign_1…`: the id an SDK (protocol v4+) gives user code for an awakeable. */
export function formatAwakeableId(invocationId: InvocationId, signalIndex: number): string {
  if (!Number.isInteger(signalIndex) || signalIndex < 0 || signalIndex > 0xffff_ffff) {
    throw new ProtocolError(ProtocolErrorCode.InvalidArgument, `signal index ${signalIndex} is not a u32`);
  }
  const bytes = Buffer.allocUnsafe(AWAKEABLE_BYTES);
  invocationIdToBytes(invocationId).copy(bytes, 0);
  bytes.writeUInt32BE(signalIndex, INVOCATION_ID_BYTES);
  return SIGNAL_AWAKEABLE_PREFIX + bytes.toString("base64url");
}

// 28 bytes = 38 base64 characters, or 40 with the `==` padding some encoders add.
const AWAKEABLE_BODY = /^[A-Za-z0-9_-]{38}(==)?$/;

/** Parses an awakeable id from the ingress API or a CompleteAwakeable command. Throws 400. */
export function parseAwakeableId(input: string): ParsedAwakeableId {
  if (typeof input !== "string") throw invalidAwakeableId(String(input), "not a string");
  let legacy: boolean;
  if (input.startsWith(SIGNAL_AWAKEABLE_PREFIX)) legacy = false;
  else if (input.startsWith(LEGACY_AWAKEABLE_PREFIX)) legacy = true;
  else throw invalidAwakeableId(input, `expected the prefix '${SIGNAL_AWAKEABLE_PREFIX}'`);

  const body = input.slice(SIGNAL_AWAKEABLE_PREFIX.length);
  // Node's base64 decoder skips characters it does not know, so check the alphabet first.
  if (!AWAKEABLE_BODY.test(body)) throw invalidAwakeableId(input, "expected 38 base64url characters");
  const bytes = Buffer.from(body, "base64url");
  if (bytes.length !== AWAKEABLE_BYTES) throw invalidAwakeableId(input, `expected ${AWAKEABLE_BYTES} bytes`);
  return {
    invocationId: invocationIdFromBytes(bytes.subarray(0, INVOCATION_ID_BYTES)),
    signalIndex: bytes.readUInt32BE(INVOCATION_ID_BYTES),
    legacy,
  };
}

// ----- partition keys -----

/** Checks that `value` is a u64 and brands it. */
export function asPartitionKey(value: bigint): PartitionKey {
  if (typeof value !== "bigint" || value < 0n || value > MAX_PARTITION_KEY) {
    throw new ProtocolError(ProtocolErrorCode.InvalidArgument, `partition key ${String(value)} is not a u64`);
  }
  return value as PartitionKey;
}

/**
 * The partition key of a keyed object/workflow instance: the first 8 bytes (big-endian) of
 * SHA-256(service ‖ 0x00 ‖ key) in UTF-8. Service names never contain NUL, so the input is
 * unambiguous. Keys are persisted with the rows they route, so this function must never change.
 * (Restate uses xxh3 of the key alone; its value is internal to a server and need not match.)
 */
export function partitionKeyForKey(service: string, key: string): PartitionKey {
  const digest = createHash("sha256").update(service, "utf8").update(ZERO_BYTE).update(key, "utf8").digest();
  return digest.readBigUInt64BE(0) as PartitionKey;
}
const ZERO_BYTE = new Uint8Array(1);

/** A uniformly random partition key, for invocations without a key. */
export function randomPartitionKey(): PartitionKey {
  return randomFillSync(Buffer.allocUnsafe(8)).readBigUInt64BE(0) as PartitionKey;
}

function checkPartitionCount(partitionCount: number): void {
  if (!Number.isInteger(partitionCount) || partitionCount < 1 || partitionCount > 0xffff_ffff) {
    throw new ProtocolError(ProtocolErrorCode.InvalidArgument, `partition count ${partitionCount} is not in [1, 2^32)`);
  }
}

/**
 * The partition owning `key` when the u64 key space is cut into `partitionCount` equal contiguous
 * ranges: floor(key × count / 2^64). Monotone in `key`; key 0 → 0, the max key → count − 1.
 */
export function partitionOf(key: PartitionKey, partitionCount: number): number {
  checkPartitionCount(partitionCount);
  return Number((key * BigInt(partitionCount)) >> 64n);
}

/** The inclusive key range of `partition`, consistent with {@link partitionOf}. */
export function partitionKeyRange(partition: number, partitionCount: number): { start: PartitionKey; end: PartitionKey } {
  checkPartitionCount(partitionCount);
  if (!Number.isInteger(partition) || partition < 0 || partition >= partitionCount) {
    throw new ProtocolError(ProtocolErrorCode.InvalidArgument, `partition ${partition} is not in [0, ${partitionCount})`);
  }
  const count = BigInt(partitionCount);
  // Smallest key k with floor(k × count / 2^64) ≥ p is ceil(p × 2^64 / count).
  const firstKeyOf = (p: bigint): bigint => ((p << 64n) + count - 1n) / count;
  return {
    start: firstKeyOf(BigInt(partition)) as PartitionKey,
    end: (firstKeyOf(BigInt(partition) + 1n) - 1n) as PartitionKey,
  };
}

// ----- helpers -----

/** Writes a ULID (48-bit ms timestamp, then 80 random bits; big-endian) at `offset`. */
function writeUlid(target: Buffer, offset: number): void {
  target.writeUIntBE(Date.now(), offset, 6);
  randomFillSync(target, offset + 6, 10);
}

/** Quotes user input for an error message without echoing megabytes of it. */
function quote(input: string): string {
  return JSON.stringify(input.length > 80 ? `${input.slice(0, 80)}…` : input);
}
