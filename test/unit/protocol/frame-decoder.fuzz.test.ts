import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_MAX_FRAME_LENGTH,
  FRAME_HEADER_LENGTH,
  FrameDecoder,
  MessageType,
  ProtocolErrorCode,
  REQUESTED_ACK_FLAG,
  decodeMessage,
  encodeFrame,
  encodeMessage,
  equals,
  isKnownMessageType,
  isProtocolError,
  schemaFor,
  type Frame,
  type KnownMessageType,
} from "../../../protocol/index.js";

/**
 * Fuzzing of the pure protocol layer: whatever a deployment sends, the decoder returns frames or throws a
 * coded ProtocolError, never another exception, and never loops. Runs are bounded so the file stays fast.
 */

// STET_FUZZ_RUNS raises the bound for a deeper run by hand (e.g. 20000); the suite keeps it small.
const RUNS = Number(process.env["STET_FUZZ_RUNS"] ?? 500);

/** Splits `bytes` at the given cut points (any order, duplicates allowed; empty chunks are legal pushes). */
function split(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const to of [...points, bytes.length]) {
    chunks.push(bytes.subarray(from, to));
    from = to;
  }
  return chunks;
}

type Outcome = { readonly frames: Frame[]; readonly error: unknown; readonly ended: boolean };

/** Pushes every chunk, then ends; stops at the first thrown error. */
function feed(decoder: FrameDecoder, chunks: readonly Uint8Array[]): Outcome {
  const frames: Frame[] = [];
  try {
    for (const chunk of chunks) frames.push(...decoder.push(chunk));
    decoder.end();
    return { frames, error: undefined, ended: true };
  } catch (error) {
    return { frames, error, ended: false };
  }
}

const concat = (frames: readonly Frame[]): Buffer => Buffer.concat(frames.map((f) => f.raw));

/** Bytes that look like frames often enough: real headers (small lengths) mixed with noise. */
const frameLike = fc
  .array(
    fc.oneof(
      fc.record({
        type: fc.oneof(fc.constantFrom(...Object.values(MessageType)), fc.integer({ min: 0, max: 0xffff })),
        flags: fc.oneof(fc.constant(0), fc.constant(REQUESTED_ACK_FLAG), fc.integer({ min: 0, max: 0xffff })),
        payload: fc.uint8Array({ maxLength: 64 }),
        // A header may lie about its length (shorter or longer than the payload that follows).
        lie: fc.option(fc.integer({ min: 0, max: 200 }), { freq: 4 }),
      }).map(({ type, flags, payload, lie }) => {
        const header = Buffer.alloc(FRAME_HEADER_LENGTH);
        header.writeUInt16BE(type, 0);
        header.writeUInt16BE(flags, 2);
        header.writeUInt32BE(lie ?? payload.length, 4);
        return Buffer.concat([header, payload]);
      }),
      fc.uint8Array({ maxLength: 24 }).map((b) => Buffer.from(b)),
    ),
    { maxLength: 12 },
  )
  .map((parts) => new Uint8Array(Buffer.concat(parts)));

const anyBytes = fc.oneof(fc.uint8Array({ maxLength: 512 }), frameLike);
const cuts = fc.array(fc.nat(), { maxLength: 16 });

describe("FrameDecoder under random input", () => {
  it("returns frames or throws a coded ProtocolError, and the frames are exactly a prefix of the input", () => {
    fc.assert(
      fc.property(anyBytes, cuts, fc.constantFrom(0, 16, 64, 1024, DEFAULT_MAX_FRAME_LENGTH), (bytes, at, max) => {
        const outcome = feed(new FrameDecoder({ maxFrameLength: max }), split(bytes, at));
        if (!outcome.ended) {
          expect(isProtocolError(outcome.error), String(outcome.error)).toBe(true);
          expect([ProtocolErrorCode.FrameTooLarge, ProtocolErrorCode.TruncatedFrame]).toContain(
            (outcome.error as { code: string }).code,
          );
        }
        const decoded = concat(outcome.frames);
        expect(decoded.equals(Buffer.from(bytes.subarray(0, decoded.length)))).toBe(true);
        if (outcome.ended) expect(decoded.length).toBe(bytes.length);
        for (const frame of outcome.frames) {
          expect(frame.payload.length).toBeLessThanOrEqual(max);
          expect(frame.raw.length).toBe(FRAME_HEADER_LENGTH + frame.payload.length);
          expect(frame.raw.readUInt32BE(4)).toBe(frame.payload.length);
          expect(frame.requestedAck).toBe((frame.flags & REQUESTED_ACK_FLAG) !== 0);
          // The encoder writes only the requested-ack bit; frames with just that bit re-encode identically.
          if ((frame.flags & ~REQUESTED_ACK_FLAG) === 0) {
            expect(encodeFrame(frame.type, frame.payload, { requestedAck: frame.requestedAck }).equals(frame.raw)).toBe(true);
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("decodes the same frames and fails the same way however the input is chunked", () => {
    fc.assert(
      fc.property(frameLike, cuts, (bytes, at) => {
        // One byte per push loses nothing: a push completes at most one frame, and the failing push none.
        const reference = feed(new FrameDecoder({ maxFrameLength: 1024 }), [...bytes].map((b) => Uint8Array.of(b)));
        const chunked = feed(new FrameDecoder({ maxFrameLength: 1024 }), split(bytes, at));
        expect((chunked.error as { code?: string } | undefined)?.code).toBe((reference.error as { code?: string } | undefined)?.code);
        // A push that throws returns nothing, so frames completed earlier in that chunk are not handed out.
        const expected = concat(reference.frames);
        const got = concat(chunked.frames);
        if (reference.ended) expect(got.equals(expected)).toBe(true);
        else expect(got.equals(expected.subarray(0, got.length))).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it("round-trips valid frames split into random chunks, one byte at a time included", () => {
    const frame = fc.record({
      type: fc.integer({ min: 0, max: 0xffff }),
      requestedAck: fc.boolean(),
      payload: fc.uint8Array({ maxLength: 300 }),
    });
    fc.assert(
      fc.property(fc.array(frame, { maxLength: 10 }), cuts, fc.boolean(), (frames, at, byteByByte) => {
        const bytes = new Uint8Array(Buffer.concat(frames.map((f) => encodeFrame(f.type, f.payload, { requestedAck: f.requestedAck }))));
        const chunks = byteByByte ? [...bytes].map((b) => Uint8Array.of(b)) : split(bytes, at);
        const outcome = feed(new FrameDecoder(), chunks);
        expect(outcome.error).toBeUndefined();
        expect(outcome.frames.map((f) => ({ type: f.type, requestedAck: f.requestedAck, payload: new Uint8Array(f.payload) }))).toEqual(
          frames.map((f) => ({ type: f.type, requestedAck: f.requestedAck, payload: f.payload })),
        );
      }),
      { numRuns: RUNS },
    );
  });

  it("stays poisoned after an error: every later call rethrows the same error", () => {
    fc.assert(
      fc.property(anyBytes, cuts, fc.uint8Array({ maxLength: 32 }), (bytes, at, more) => {
        const decoder = new FrameDecoder({ maxFrameLength: 16 });
        const outcome = feed(decoder, split(bytes, at));
        if (outcome.ended) return;
        expect(() => decoder.push(more)).toThrow(outcome.error as Error);
        expect(() => decoder.end()).toThrow(outcome.error as Error);
      }),
      { numRuns: RUNS },
    );
  });

  it("rejects a push after end() with a coded error", () => {
    const decoder = new FrameDecoder();
    decoder.end();
    let thrown: unknown;
    try {
      decoder.push(Uint8Array.of(0));
    } catch (error) {
      thrown = error;
    }
    expect(isProtocolError(thrown, ProtocolErrorCode.InvalidArgument)).toBe(true);
  });
});

const knownTypes = Object.values(MessageType) as KnownMessageType[];

function varint(value: bigint): number[] {
  const out: number[] = [];
  let v = value;
  do {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v === 0n ? byte : byte | 0x80);
  } while (v !== 0n);
  return out;
}

/**
 * Well-formed protobuf wire data with random field numbers and wire types (nested, too), so payloads get
 * past the wire parser and exercise field-type mismatches, not only truncation.
 */
const wireFields: fc.Arbitrary<Uint8Array> = fc.letrec<{ fields: Uint8Array }>((tie) => ({
  fields: fc
    .array(
      fc.tuple(
        fc.integer({ min: 1, max: 20 }),
        fc.oneof(
          fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((v) => ({ wire: 0, bytes: varint(v) })),
          fc.uint8Array({ minLength: 8, maxLength: 8 }).map((b) => ({ wire: 1, bytes: [...b] })),
          fc.oneof(fc.uint8Array({ maxLength: 24 }), fc.string().map((t) => new TextEncoder().encode(t)), tie("fields"))
            .map((b) => ({ wire: 2, bytes: [...varint(BigInt(b.length)), ...b] })),
          fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => ({ wire: 5, bytes: [...b] })),
        ),
      ),
      { maxLength: 6 },
    )
    .map((fields) => Uint8Array.from(fields.flatMap(([n, f]) => [...varint(BigInt((n << 3) | f.wire)), ...f.bytes]))),
})).fields;

/** Wire data, then maybe one byte changed or the tail cut off. */
const payloads = fc.oneof(
  fc.uint8Array({ maxLength: 256 }),
  fc.tuple(wireFields, fc.option(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }))), fc.option(fc.nat())).map(([bytes, flip, cut]) => {
    const out = Uint8Array.from(bytes);
    if (flip !== null && out.length > 0) out[flip[0] % out.length] = flip[1];
    return cut === null ? out : out.subarray(0, cut % (out.length + 1));
  }),
);

describe("decodeMessage under random payloads", () => {
  it("returns a message or throws MalformedMessage for every known type", () => {
    fc.assert(
      fc.property(fc.constantFrom(...knownTypes), payloads, (type, payload) => {
        let message: ReturnType<typeof decodeMessage> | undefined;
        try {
          message = decodeMessage(type, payload);
        } catch (error) {
          expect(isProtocolError(error, ProtocolErrorCode.MalformedMessage), String(error)).toBe(true);
          return;
        }
        // Whatever decoded re-encodes, and decodes again to an equal message.
        const schema = schemaFor(type)!;
        const again = decodeMessage(type, encodeMessage(type, message as never));
        expect(equals(schema, again, message)).toBe(true);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it("throws UnknownMessageType for ids without a schema", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }).filter((t) => !isKnownMessageType(t)),
        fc.uint8Array({ maxLength: 32 }),
        (type, payload) => {
          expect(() => decodeMessage(type, payload)).toThrow(
            expect.objectContaining({ code: ProtocolErrorCode.UnknownMessageType }) as unknown as Error,
          );
        },
      ),
      { numRuns: RUNS },
    );
  });
});
