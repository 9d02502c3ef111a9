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
// 62^5 < 2^30, so a remainder times 2^16 stays exact in a double: the base conversion runs on
// 16-bit limbs in plain numbers, about 10x faster than BigInt division for these sizes.
const CHUNK_DIGITS = 5;
const CHUNK = 62 ** CHUNK_DIGITS;

const INVOCATION_PREFIX = "inv_1";
const INVOCATION_ID_LENGTH = INVOCATION_PREFIX.length + U64_DIGITS + U128_DIGITS;
const DEPLOYMENT_PREFIX = "dp_1";
const DEPLOYMENT_ID_LENGTH = DEPLOYMENT_PREFIX.length + U128_DIGITS;
const SIGNAL_AWAKEABLE_PREFIX = "sign_1";
const LEGACY_AWAKEABLE_PREFIX = "prom_1";
const AWAKEABLE_BYTES = INVOCATION_ID_BYTES + 4;

// Scratch space for the synchronous helpers below (never held across calls).
const limbs = new Uint32Array(8);
const digitCodes: number[] = new Array<number>(U128_DIGITS).fill(0);
const scratch = Buffer.alloc(INVOCATION_ID_BYTES);

// ----- base62 -----

/**
 * Base62 of the integer whose little-endian bytes are `bytes[offset, offset + length)`, left-padded
 * with '0' to `width` digits. Restate byte-swaps before encoding, so passing a field's big-endian
 * bytes here yields Restate's text. `length` is 8 or 16; `width` must hold the value.
 */
function encodeBase62(bytes: Uint8Array, offset: number, length: number, width: number): string {
  const n = length >> 1;
  // limbs[0] is the most significant 16 bits.
  for (let i = 0; i < n; i++) {
    const at = offset + length - 2 - 2 * i;
    limbs[i] = (bytes[at + 1]! << 8) | bytes[at]!;
  }
  let first = 0;
  let pos = width;
  while (pos > 0) {
    let rem = 0;
    for (let i = first; i < n; i++) {
      const current = rem * 65536 + limbs[i]!;
      const quotient = Math.floor(current / CHUNK);
      limbs[i] = quotient;
      rem = current - quotient * CHUNK;
    }
    while (first < n && limbs[first] === 0) first++;
    for (let k = 0; k < CHUNK_DIGITS && pos > 0; k++) {
      digitCodes[--pos] = ALPHABET.charCodeAt(rem % 62);
      rem = Math.floor(rem / 62);
    }
  }
  return String.fromCharCode.apply(null, width === U128_DIGITS ? digitCodes : digitCodes.slice(0, width));
}

/**
 * Parses `width` base62 digits at `s[start]` and writes the value little-endian into
 * `target[offset, offset + length)`. Returns false on a non-base62 character or a value that does
 * not fit `length` bytes.
 */
function decodeBase62(s: string, start: number, width: number, target: Uint8Array, offset: number, length: number): boolean {
  const n = length >> 1;
  limbs.fill(0, 0, n); // limbs[0] is the least significant 16 bits here
  for (let i = start; i < start + width; i++) {
    const code = s.charCodeAt(i);
    let carry = code < 128 ? DIGIT_OF[code]! : -1;
    if (carry < 0) return false;
    for (let j = 0; j < n; j++) {
      const v = limbs[j]! * 62 + carry;
      limbs[j] = v & 0xffff;
      carry = v >>> 16;
    }
    if (carry !== 0) return false;
  }
  for (let j = 0; j < n; j++) {
    target[offset + 2 * j] = limbs[j]! & 0xff;
    target[offset + 2 * j + 1] = limbs[j]! >>> 8;
  }
  return true;
}

/** Decodes a well-formed textual invocation id into `target` (24 bytes); false when malformed. */
function decodeInvocationId(s: string, target: Uint8Array): boolean {
  return (
    s.length === INVOCATION_ID_LENGTH &&
    s.startsWith(INVOCATION_PREFIX) &&
    decodeBase62(s, INVOCATION_PREFIX.length, U64_DIGITS, target, 0, 8) &&
    decodeBase62(s, INVOCATION_PREFIX.length + U64_DIGITS, U128_DIGITS, target, 8, 16)
  );
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
  return (INVOCATION_PREFIX +
    encodeBase62(bytes, 0, 8, U64_DIGITS) +
    encodeBase62(bytes, 8, 16, U128_DIGITS)) as InvocationId;
}

/** Builds an id from its parts; `uuid` is 16 bytes (big-endian u128), e.g. a hash for dedup. */
export function invocationIdFromParts(partitionKey: PartitionKey, uuid: Uint8Array): InvocationId {
  if (uuid.byteLength !== 16) {
    throw new ProtocolError(ProtocolErrorCode.InvalidArgument, `invocation uuid must be 16 bytes, got ${uuid.byteLength}`);
  }
  scratch.writeBigUInt64BE(partitionKey, 0);
  scratch.set(uuid, 8);
  return invocationIdFromBytes(scratch);
}

/** A fresh id in the given partition key; the uuid is a ULID (ms timestamp + 80 random bits). */
export function newInvocationId(partitionKey: PartitionKey): InvocationId {
  scratch.writeBigUInt64BE(partitionKey, 0);
  writeUlid(scratch, 8);
  return invocationIdFromBytes(scratch);
}

/**
 * The id whose uuid is derived from `fields`: the first 16 bytes of SHA-256 over each field's UTF-8
 * bytes, each preceded by its length (u32 BE) so that no two lists of fields meet. The same fields
 * always give the same id, as Restate derives the ids of workflow runs and idempotent invocations from
 * their target and key (with a hash of its own: ids are opaque to clients).
 */
export function derivedInvocationId(partitionKey: PartitionKey, fields: readonly string[]): InvocationId {
  const hash = createHash("sha256");
  const length = Buffer.allocUnsafe(4);
  for (const field of fields) {
    const bytes = Buffer.from(field, "utf8");
    length.writeUInt32BE(bytes.length, 0);
    hash.update(length).update(bytes);
  }
  return invocationIdFromParts(partitionKey, hash.digest().subarray(0, 16));
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
  if (!decodeInvocationId(input, scratch)) {
    throw invalidInvocationId(input, "not base62, or a field out of range");
  }
  return input as InvocationId;
}

/** The 24 bytes Restate puts in StartMessage.id: partition key (u64 BE) ‖ uuid (16 bytes). */
export function invocationIdToBytes(id: InvocationId): Buffer {
  const bytes = Buffer.allocUnsafe(INVOCATION_ID_BYTES);
  // Ids are branded by parseInvocationId; this guards against casts that skipped it.
  if (!decodeInvocationId(id, bytes)) throw invalidInvocationId(id, "not an invocation id");
  return bytes;
}

/** The partition key embedded in an invocation id (decodes only that field). */
export function partitionKeyOf(id: InvocationId): PartitionKey {
  if (!id.startsWith(INVOCATION_PREFIX) || !decodeBase62(id, INVOCATION_PREFIX.length, U64_DIGITS, scratch, 0, 8)) {
    throw invalidInvocationId(id, "not an invocation id");
  }
  return scratch.readBigUInt64BE(0) as PartitionKey;
}

// ----- deployment ids -----

function invalidDeploymentId(input: string, reason: string): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.InvalidDeploymentId, `invalid deployment id ${quote(input)}: ${reason}`);
}

/** A fresh deployment id backed by a ULID. */
export function newDeploymentId(): DeploymentId {
  writeUlid(scratch, 0);
  return (DEPLOYMENT_PREFIX + encodeBase62(scratch, 0, 16, U128_DIGITS)) as DeploymentId;
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
  if (!decodeBase62(input, DEPLOYMENT_PREFIX.length, U128_DIGITS, scratch, 0, 16)) {
    throw invalidDeploymentId(input, "not base62, or out of range");
  }
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
  randomBytes(scratch, 0, 8);
  return scratch.readBigUInt64BE(0) as PartitionKey;
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
  randomBytes(target, offset + 6, 10);
}

// Each randomFillSync call costs microseconds; drawing from a refilled 4 KiB pool of the same
// CSPRNG output costs nanoseconds (ids are minted per invocation).
const randomPool = Buffer.alloc(4096);
let randomPoolOffset = randomPool.length;

function randomBytes(target: Buffer, offset: number, length: number): void {
  if (randomPoolOffset + length > randomPool.length) {
    randomFillSync(randomPool);
    randomPoolOffset = 0;
  }
  randomPool.copy(target, offset, randomPoolOffset, randomPoolOffset + length);
  randomPoolOffset += length;
}

/** Quotes user input for an error message without echoing megabytes of it. */
function quote(input: string): string {
  return JSON.stringify(input.length > 80 ? `${input.slice(0, 80)}…` : input);
}
