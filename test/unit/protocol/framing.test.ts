import { describe, it, expect } from "vitest";
import {
  DEFAULT_MAX_FRAME_LENGTH,
  FRAME_HEADER_LENGTH,
  FrameDecoder,
  MessageType,
  ProtocolError,
  ProtocolErrorCode,
  REQUESTED_ACK_FLAG,
  decodeFrames,
  encodeFrame,
  encodeFrameHeader,
  frameFromRaw,
  type Frame,
} from "../../../protocol/index.js";
import { expectCode } from "../../helpers/expect-code.js";

function payload(size: number, seed = 1): Buffer {
  const bytes = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + seed) & 0xff;
  return bytes;
}

function summary(frames: Frame[]) {
  return frames.map((f) => ({ type: f.type, requestedAck: f.requestedAck, payload: f.payload.toString("hex") }));
}


describe("encodeFrame", () => {
  it("writes a big-endian header of type, flags and length", () => {
    const frame = encodeFrame(0x0411, Buffer.from([1, 2, 3]));
    expect(frame.toString("hex")).toBe("0411" + "0000" + "00000003" + "010203");
  });

  it("sets the requested-ack bit as the top bit of the flag block", () => {
    const frame = encodeFrame(MessageType.ProposeRunCompletion, Buffer.alloc(0), { requestedAck: true });
    expect(frame.readUInt16BE(2)).toBe(REQUESTED_ACK_FLAG);
    expect(frame.readBigUInt64BE(0) & 0x0000_8000_0000_0000n).not.toBe(0n);
  });

  it("matches encodeFrameHeader followed by the payload", () => {
    const body = payload(17);
    expect(Buffer.concat([encodeFrameHeader(0x8011, body.length), body])).toEqual(encodeFrame(0x8011, body));
  });

  it("rejects type ids outside 16 bits", () => {
    expectCode(() => encodeFrame(0x10000, Buffer.alloc(0)), ProtocolErrorCode.InvalidArgument);
    expectCode(() => encodeFrame(-1, Buffer.alloc(0)), ProtocolErrorCode.InvalidArgument);
  });
});

describe("FrameDecoder", () => {
  const inputs = [
    { type: MessageType.Start, body: payload(40, 1) },
    { type: MessageType.ProposeRunCompletion, body: payload(5, 2), requestedAck: true },
    { type: MessageType.End, body: Buffer.alloc(0) },
    { type: 0xfc01, body: payload(3, 3) }, // custom entry
    { type: 0x0042, body: payload(9, 4) }, // unknown id: not a framing error
  ];
  const stream = Buffer.concat(inputs.map((i) => encodeFrame(i.type, i.body, { requestedAck: i.requestedAck === true })));
  const expected = inputs.map((i) => ({
    type: i.type,
    requestedAck: i.requestedAck === true,
    payload: i.body.toString("hex"),
  }));

  it("round-trips frames pushed in one chunk", () => {
    const decoder = new FrameDecoder();
    const frames = decoder.push(stream);
    decoder.end();
    expect(summary(frames)).toEqual(expected);
    expect(Buffer.concat(frames.map((f) => f.raw))).toEqual(stream);
  });

  it("hands out zero-copy views when a frame lies inside one chunk", () => {
    const frames = new FrameDecoder().push(stream);
    for (const frame of frames) {
      expect(frame.raw.buffer).toBe(stream.buffer);
      expect(frame.payload.byteOffset).toBe(frame.raw.byteOffset + FRAME_HEADER_LENGTH);
    }
  });

  it("decodes the same frames when split at every byte boundary", () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const decoder = new FrameDecoder();
      const frames = [...decoder.push(stream.subarray(0, cut)), ...decoder.push(stream.subarray(cut))];
      decoder.end();
      expect(summary(frames), `cut at ${cut}`).toEqual(expected);
      expect(Buffer.concat(frames.map((f) => f.raw))).toEqual(stream);
    }
  });

  it("decodes the same frames when split at every pair of boundaries", () => {
    for (let a = 0; a <= stream.length; a += 3) {
      for (let b = a; b <= stream.length; b += 2) {
        const decoder = new FrameDecoder();
        const frames = [
          ...decoder.push(stream.subarray(0, a)),
          ...decoder.push(stream.subarray(a, b)),
          ...decoder.push(stream.subarray(b)),
        ];
        decoder.end();
        expect(summary(frames), `cuts at ${a}, ${b}`).toEqual(expected);
      }
    }
  });

  it("decodes a stream fed one byte at a time", () => {
    const decoder = new FrameDecoder();
    const frames: Frame[] = [];
    for (let i = 0; i < stream.length; i++) frames.push(...decoder.push(stream.subarray(i, i + 1)));
    decoder.end();
    expect(summary(frames)).toEqual(expected);
  });

  it("returns every frame of many frames coalesced into one chunk", () => {
    const count = 10_000;
    const chunk = Buffer.concat(Array.from({ length: count }, (_, i) => encodeFrame(0x0403, payload(i % 7, i))));
    const frames = new FrameDecoder().push(chunk);
    expect(frames).toHaveLength(count);
    expect(frames[9_999]!.payload).toEqual(payload(9_999 % 7, 9_999));
  });

  it("accepts plain Uint8Array chunks", () => {
    const copy = new Uint8Array(stream);
    expect(summary(new FrameDecoder().push(copy))).toEqual(expected);
  });

  it("rejects a frame over the limit from its header, before buffering its payload", () => {
    const decoder = new FrameDecoder({ maxFrameLength: 1024 });
    const header = encodeFrameHeader(MessageType.OutputCommand, 1025);
    const error = expectCode(() => decoder.push(header), ProtocolErrorCode.FrameTooLarge);
    expect(error.message).toContain("OutputCommand");
    expect(error.message).toContain("1025");
    expect(decoder.bufferedBytes).toBe(0);
    // Poisoned: later calls report the same failure instead of decoding garbage.
    expectCode(() => decoder.push(Buffer.alloc(10)), ProtocolErrorCode.FrameTooLarge);
    expectCode(() => decoder.end(), ProtocolErrorCode.FrameTooLarge);
  });

  it("rejects an over-limit header split across chunks", () => {
    const decoder = new FrameDecoder({ maxFrameLength: 1024 });
    const header = encodeFrameHeader(MessageType.OutputCommand, 0xffff_ffff);
    expect(decoder.push(header.subarray(0, 5))).toEqual([]);
    expectCode(() => decoder.push(header.subarray(5)), ProtocolErrorCode.FrameTooLarge);
  });

  it("defaults the limit to 32 MiB and accepts a frame of exactly the limit", () => {
    expect(new FrameDecoder().maxFrameLength).toBe(DEFAULT_MAX_FRAME_LENGTH);
    expectCode(
      () => new FrameDecoder().push(encodeFrameHeader(0x0400, DEFAULT_MAX_FRAME_LENGTH + 1)),
      ProtocolErrorCode.FrameTooLarge,
    );
    const decoder = new FrameDecoder({ maxFrameLength: 16 });
    expect(decoder.push(encodeFrame(0x0400, payload(16)))).toHaveLength(1);
  });

  it("reports a stream truncated inside a header or a payload at end()", () => {
    const inHeader = new FrameDecoder();
    inHeader.push(stream.subarray(0, 3));
    expect(expectCode(() => inHeader.end(), ProtocolErrorCode.TruncatedFrame).message).toContain("3 of 8");

    const inPayload = new FrameDecoder();
    inPayload.push(stream.subarray(0, 20));
    expect(inPayload.bufferedBytes).toBe(20);
    const error = expectCode(() => inPayload.end(), ProtocolErrorCode.TruncatedFrame);
    expect(error.message).toContain("Start");
    expect(error.message).toContain("20 of 48");
  });

  it("refuses pushes after end()", () => {
    const decoder = new FrameDecoder();
    decoder.end();
    expectCode(() => decoder.push(stream), ProtocolErrorCode.InvalidArgument);
  });

  it("rejects an invalid limit", () => {
    expectCode(() => new FrameDecoder({ maxFrameLength: -1 }), ProtocolErrorCode.InvalidArgument);
  });
});

describe("decodeFrames and frameFromRaw", () => {
  it("decodes a whole body and rejects a trailing partial frame", () => {
    const body = Buffer.concat([encodeFrame(0x0400, payload(4)), encodeFrame(0x0003, Buffer.alloc(0))]);
    expect(decodeFrames(body).map((f) => f.type)).toEqual([0x0400, 0x0003]);
    expectCode(() => decodeFrames(body.subarray(0, body.length - 1 - 8)), ProtocolErrorCode.TruncatedFrame);
  });

  it("parses one stored frame and checks its length", () => {
    const raw = encodeFrame(0x8011, payload(6), { requestedAck: false });
    const frame = frameFromRaw(raw);
    expect(frame.type).toBe(0x8011);
    expect(frame.raw).toEqual(raw);
    expectCode(() => frameFromRaw(raw.subarray(0, raw.length - 1)), ProtocolErrorCode.MalformedFrame);
    expectCode(() => frameFromRaw(raw.subarray(0, 4)), ProtocolErrorCode.MalformedFrame);
  });
});
