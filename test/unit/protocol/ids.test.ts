import { describe, it, expect } from "vitest";
import fc from "fast-check";
import {
  INVOCATION_ID_BYTES,
  MAX_PARTITION_KEY,
  ProtocolError,
  ProtocolErrorCode,
  asPartitionKey,
  derivedInvocationId,
  formatAwakeableId,
  invocationIdFromBytes,
  invocationIdFromParts,
  invocationIdToBytes,
  newDeploymentId,
  newInvocationId,
  parseAwakeableId,
  parseDeploymentId,
  parseInvocationId,
  partitionKeyForKey,
  partitionKeyOf,
  partitionKeyRange,
  partitionOf,
  randomPartitionKey,
  type InvocationId,
} from "../../../protocol/index.js";
import { expectCode } from "../../helpers/expect-code.js";


// Real ids printed by Restate: the invocation id from Restate 1.7's OpenAPI document
// (shared/reference), the deployment id from Restate's identifiers tests, the awakeable id from
// the service protocol spec.
const RESTATE_INVOCATION_ID = "inv_1gdJBtdVEcM942bjcDmb1c1khoaJe11Hbz";
const RESTATE_DEPLOYMENT_ID = "dp_11nGQpCRmau6ypL82KH2TnP";
const SPEC_AWAKEABLE_ID = "prom_1NMyOAvDK2CcBjUH4Rmb7eGBp0DNNDnmsAAAAAQ";

describe("invocation ids", () => {
  it("parses and re-formats a real Restate invocation id unchanged", () => {
    const id = parseInvocationId(RESTATE_INVOCATION_ID);
    const bytes = invocationIdToBytes(id);
    expect(bytes.length).toBe(INVOCATION_ID_BYTES);
    expect(invocationIdFromBytes(bytes)).toBe(RESTATE_INVOCATION_ID);
    // The uuid is a ULID: its top 48 bits are a plausible creation time (March 2024), which only
    // holds with the right byte order.
    const createdAt = new Date(bytes.readUIntBE(8, 6));
    expect(createdAt.getUTCFullYear()).toBe(2024);
    expect(partitionKeyOf(id)).toBe(bytes.readBigUInt64BE(0));
    expect(partitionKeyOf(id)).toBe(0x493c42ed1c3cf1bcn);
  });

  it("round-trips new ids through text and bytes", () => {
    for (const key of [0n, 1n, 0xffn, 1n << 63n, MAX_PARTITION_KEY, randomPartitionKey()]) {
      const id = newInvocationId(asPartitionKey(key));
      expect(id).toMatch(/^inv_1[0-9a-zA-Z]{33}$/);
      expect(parseInvocationId(id)).toBe(id);
      expect(partitionKeyOf(id)).toBe(key);
      const bytes = invocationIdToBytes(id);
      expect(bytes.readBigUInt64BE(0)).toBe(key);
      expect(invocationIdFromBytes(bytes)).toBe(id);
    }
  });

  it("matches a BigInt reference of Restate's encoding for any 24 bytes", () => {
    // Reference: each field's big-endian bytes read as a little-endian integer, in base62
    // (0-9a-zA-Z), left-padded to 11 and 22 digits.
    const alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    const reference = (bytes: Buffer, width: number): string => {
      let n = 0n;
      for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
      let out = "";
      for (let i = 0; i < width; i++) {
        out = alphabet[Number(n % 62n)] + out;
        n /= 62n;
      }
      return out;
    };
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 24, maxLength: 24 }), (raw) => {
        const bytes = Buffer.from(raw);
        const id = invocationIdFromBytes(bytes);
        expect(id).toBe(`inv_1${reference(bytes.subarray(0, 8), 11)}${reference(bytes.subarray(8), 22)}`);
        expect(invocationIdToBytes(parseInvocationId(id))).toEqual(bytes);
        expect(partitionKeyOf(id)).toBe(bytes.readBigUInt64BE(0));
      }),
      { numRuns: 2000 },
    );
    for (const fill of [0x00, 0xff]) {
      const bytes = Buffer.alloc(24, fill);
      expect(invocationIdToBytes(invocationIdFromBytes(bytes))).toEqual(bytes);
    }
  });

  it("builds deterministic ids from parts", () => {
    const uuid = Buffer.from("00112233445566778899aabbccddeeff", "hex");
    const id = invocationIdFromParts(asPartitionKey(42n), uuid);
    expect(invocationIdFromParts(asPartitionKey(42n), uuid)).toBe(id);
    expect(invocationIdToBytes(id).subarray(8)).toEqual(uuid);
    expect(partitionKeyOf(id)).toBe(42n);
  });

  it("derives the same id from the same fields, and another from fields that join to the same text", () => {
    const key = asPartitionKey(42n);
    const id = derivedInvocationId(key, ["idempotent", "Svc", "", "h", "k1"]);
    expect(parseInvocationId(id)).toBe(id);
    expect(partitionKeyOf(id)).toBe(42n);
    expect(derivedInvocationId(key, ["idempotent", "Svc", "", "h", "k1"])).toBe(id);
    expect(derivedInvocationId(key, ["idempotent", "Svc", "", "h", "k2"])).not.toBe(id);
    expect(derivedInvocationId(key, ["idempotent", "Svc", "h", "", "k1"])).not.toBe(id);
    expect(derivedInvocationId(key, ["ab", "c"])).not.toBe(derivedInvocationId(key, ["a", "bc"]));
  });

  it("gives distinct ids to invocations created in the same millisecond", () => {
    const key = randomPartitionKey();
    const ids = new Set(Array.from({ length: 1000 }, () => newInvocationId(key)));
    expect(ids.size).toBe(1000);
  });

  it("rejects malformed ids with a 400", () => {
    const bad = [
      "",
      "inv_",
      "inv_1",
      "inv_2gdJBtdVEcM942bjcDmb1c1khoaJe11Hbz", // unknown scheme version
      "dp_1gdJBtdVEcM942bjcDmb1c1khoaJe11Hbz", // wrong resource
      "inv_1gdJBtdVEcM942bjcDmb1c1khoaJe11Hb", // short
      "inv_1gdJBtdVEcM942bjcDmb1c1khoaJe11Hbzz", // long
      "inv_1gdJBtdVEcM942bjcDmb1c1khoaJe11Hb-", // not base62
      "inv_1ZZZZZZZZZZZ42bjcDmb1c1khoaJe11Hbz", // partition key over u64
      "inv_1gdJBtdVEcM9ZZZZZZZZZZZZZZZZZZZZZZ", // uuid over u128
    ];
    for (const input of bad) {
      expectCode(() => parseInvocationId(input), ProtocolErrorCode.InvalidInvocationId, 400);
    }
    expectCode(() => invocationIdFromBytes(new Uint8Array(23)), ProtocolErrorCode.InvalidInvocationId);
  });

  it("does not echo huge input in the error message", () => {
    try {
      parseInvocationId(`inv_1${"a".repeat(100_000)}`);
    } catch (error) {
      expect((error as Error).message.length).toBeLessThan(300);
    }
  });
});

describe("deployment ids", () => {
  it("parses and re-formats a real Restate deployment id", () => {
    expect(parseDeploymentId(RESTATE_DEPLOYMENT_ID)).toBe(RESTATE_DEPLOYMENT_ID);
  });

  it("creates ids in Restate's format", () => {
    const id = newDeploymentId();
    expect(id).toMatch(/^dp_1[0-9a-zA-Z]{22}$/);
    expect(parseDeploymentId(id)).toBe(id);
    expect(newDeploymentId()).not.toBe(id);
  });

  it("rejects malformed ids with a 400", () => {
    for (const input of ["", "dp_1", "dp_11nGQpCRmau6ypL82KH2TnP123456", "inv_11nGQpCRmau6ypL82KH2TnP", "dp_11nGQpCRmau6ypL82KH2Tn_"]) {
      expectCode(() => parseDeploymentId(input), ProtocolErrorCode.InvalidDeploymentId, 400);
    }
  });
});

describe("awakeable ids", () => {
  it("round-trips the signal-based format the SDKs produce", () => {
    const invocationId = newInvocationId(randomPartitionKey());
    for (const signalIndex of [17, 18, 0xffff_ffff]) {
      const id = formatAwakeableId(invocationId, signalIndex);
      expect(id).toMatch(/^sign_1[A-Za-z0-9_-]{38}$/);
      expect(parseAwakeableId(id)).toEqual({ invocationId, signalIndex, legacy: false });
    }
  });

  it("encodes StartMessage.id bytes followed by the u32 BE index", () => {
    const invocationId = parseInvocationId(RESTATE_INVOCATION_ID);
    const id = formatAwakeableId(invocationId, 17);
    const bytes = Buffer.from(id.slice("sign_1".length), "base64url");
    expect(bytes.subarray(0, 24)).toEqual(invocationIdToBytes(invocationId));
    expect(bytes.readUInt32BE(24)).toBe(17);
  });

  it("parses the spec's example of the older prom_1 format and flags it", () => {
    const parsed = parseAwakeableId(SPEC_AWAKEABLE_ID);
    expect(parsed.legacy).toBe(true);
    expect(parsed.signalIndex).toBe(1);
    expect(parseInvocationId(parsed.invocationId)).toBe(parsed.invocationId);
    const reformatted = formatAwakeableId(parsed.invocationId, parsed.signalIndex);
    expect(reformatted.slice("sign_1".length)).toBe(SPEC_AWAKEABLE_ID.slice("prom_1".length));
  });

  it("accepts padded base64url", () => {
    const id = formatAwakeableId(parseInvocationId(RESTATE_INVOCATION_ID), 20);
    expect(parseAwakeableId(`${id}==`).signalIndex).toBe(20);
  });

  it("rejects malformed ids with a 400", () => {
    const good = formatAwakeableId(parseInvocationId(RESTATE_INVOCATION_ID), 20);
    const body = good.slice("sign_1".length);
    for (const input of ["", "sign_1", `awk_1${body}`, `sign_1${body.slice(1)}`, `sign_1${body}A`, `sign_1${body.slice(0, -1)}*`, `sign_1${body.slice(0, -1)}+`]) {
      expectCode(() => parseAwakeableId(input), ProtocolErrorCode.InvalidAwakeableId, 400);
    }
  });
});

describe("partition keys", () => {
  it("hashes keys stably and separates services", () => {
    const a = partitionKeyForKey("Counter", "alice");
    expect(partitionKeyForKey("Counter", "alice")).toBe(a);
    expect(partitionKeyForKey("Counter", "bob")).not.toBe(a);
    expect(partitionKeyForKey("Greeter", "alice")).not.toBe(a);
    // Pinned: partition keys are persisted, so the hash must never change.
    expect(partitionKeyForKey("Counter", "alice")).toBe(0xa0841583a23b251cn);
    expect(a).toBeGreaterThanOrEqual(0n);
    expect(a).toBeLessThanOrEqual(MAX_PARTITION_KEY);
  });

  it("validates partition keys", () => {
    expect(asPartitionKey(MAX_PARTITION_KEY)).toBe(MAX_PARTITION_KEY);
    expectCode(() => asPartitionKey(-1n), ProtocolErrorCode.InvalidArgument);
    expectCode(() => asPartitionKey(MAX_PARTITION_KEY + 1n), ProtocolErrorCode.InvalidArgument);
  });

  it("maps the key space onto equal contiguous partitions", () => {
    for (const count of [1, 2, 3, 7, 24, 1000]) {
      expect(partitionOf(asPartitionKey(0n), count)).toBe(0);
      expect(partitionOf(asPartitionKey(MAX_PARTITION_KEY), count)).toBe(count - 1);
      for (let p = 0; p < count; p++) {
        const { start, end } = partitionKeyRange(p, count);
        expect(partitionOf(start, count)).toBe(p);
        expect(partitionOf(end, count)).toBe(p);
        if (p > 0) expect(partitionOf(asPartitionKey(start - 1n), count)).toBe(p - 1);
        if (p < count - 1) expect(partitionOf(asPartitionKey(end + 1n), count)).toBe(p + 1);
      }
      expect(partitionKeyRange(0, count).start).toBe(0n);
      expect(partitionKeyRange(count - 1, count).end).toBe(MAX_PARTITION_KEY);
    }
  });

  it("is monotone in the key", () => {
    const keys = Array.from({ length: 2000 }, () => randomPartitionKey()).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    let previous = 0;
    for (const key of keys) {
      const p = partitionOf(key, 24);
      expect(p).toBeGreaterThanOrEqual(previous);
      previous = p;
    }
  });

  it("rejects invalid partition counts", () => {
    expectCode(() => partitionOf(asPartitionKey(0n), 0), ProtocolErrorCode.InvalidArgument);
    expectCode(() => partitionOf(asPartitionKey(0n), 1.5), ProtocolErrorCode.InvalidArgument);
    expectCode(() => partitionKeyRange(3, 3), ProtocolErrorCode.InvalidArgument);
  });

  it("routes an invocation by the key inside its id", () => {
    const key = partitionKeyForKey("Counter", "alice");
    const id: InvocationId = newInvocationId(key);
    expect(partitionOf(partitionKeyOf(id), 24)).toBe(partitionOf(key, 24));
  });
});
