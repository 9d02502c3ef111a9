import { ProtocolError, ProtocolErrorCode } from "./protocol-errors.js";
import { messageTypeName } from "./message-type.js";

/**
 * Message framing (spec: "Message framing"). Each message is an 8-byte big-endian header followed
 * by its protobuf payload:
 *
 *   u16 type | u16 flags (bit 15 = REQUESTED_ACK, the rest reserved) | u32 payload length
 *
 * Journal entries are stored as these exact frame bytes and replayed without re-encoding, so the
 * decoder hands out `raw` as a view of the input whenever a frame sits inside one chunk.
 */

export const FRAME_HEADER_LENGTH = 8;
/** Top bit of the flag block: the SDK asks for a ProposeRunCompletionAck instead of the result. */
export const REQUESTED_ACK_FLAG = 0x8000;
/** Largest payload the decoder accepts unless configured otherwise: 32 MiB. */
export const DEFAULT_MAX_FRAME_LENGTH = 32 * 1024 * 1024;
const MAX_U32 = 0xffff_ffff;

export interface Frame {
  /** 16-bit message type id; unknown ids are passed through (see message-type.ts). */
  type: number;
  /** The raw 16-bit flag block. */
  flags: number;
  requestedAck: boolean;
  /** The protobuf payload: a view into `raw`. */
  payload: Buffer;
  /** Header + payload, exactly as received. */
  raw: Buffer;
}

export interface FrameFlags {
  requestedAck?: boolean;
}

/** Writes the 8-byte header for a payload of `length` bytes. */
export function encodeFrameHeader(type: number, length: number, flags?: FrameFlags): Buffer {
  const header = Buffer.allocUnsafe(FRAME_HEADER_LENGTH);
  writeHeader(header, type, length, flags);
  return header;
}

/** One contiguous frame: header + a copy of `payload`. */
export function encodeFrame(type: number, payload: Uint8Array, flags?: FrameFlags): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_LENGTH + payload.byteLength);
  writeHeader(frame, type, payload.byteLength, flags);
  frame.set(payload, FRAME_HEADER_LENGTH);
  return frame;
}

function writeHeader(target: Buffer, type: number, length: number, flags: FrameFlags | undefined): void {
  if (!Number.isInteger(type) || type < 0 || type > 0xffff) {
    throw new ProtocolError(ProtocolErrorCode.InvalidArgument, `message type ${type} is not a 16-bit id`);
  }
  if (length > MAX_U32) {
    throw new ProtocolError(ProtocolErrorCode.FrameTooLarge, `payload of ${length} bytes does not fit a u32 length`);
  }
  target.writeUInt16BE(type, 0);
  target.writeUInt16BE(flags?.requestedAck === true ? REQUESTED_ACK_FLAG : 0, 2);
  target.writeUInt32BE(length, 4);
}

function makeFrame(raw: Buffer): Frame {
  const flags = raw.readUInt16BE(2);
  return {
    type: raw.readUInt16BE(0),
    flags,
    requestedAck: (flags & REQUESTED_ACK_FLAG) !== 0,
    payload: raw.subarray(FRAME_HEADER_LENGTH),
    raw,
  };
}

function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

function tooLarge(type: number, length: number, max: number): ProtocolError {
  return new ProtocolError(
    ProtocolErrorCode.FrameTooLarge,
    `frame ${messageTypeName(type)} declares a payload of ${length} bytes, over the limit of ${max} bytes`,
  );
}

/** Parses one stored frame (e.g. a journal entry) whose bytes must be exactly one whole frame. */
export function frameFromRaw(raw: Uint8Array): Frame {
  const buffer = asBuffer(raw);
  if (buffer.length < FRAME_HEADER_LENGTH) {
    throw new ProtocolError(ProtocolErrorCode.MalformedFrame, `frame of ${buffer.length} bytes is shorter than its header`);
  }
  const length = buffer.readUInt32BE(4);
  if (buffer.length !== FRAME_HEADER_LENGTH + length) {
    throw new ProtocolError(
      ProtocolErrorCode.MalformedFrame,
      `frame header declares ${length} payload bytes but ${buffer.length - FRAME_HEADER_LENGTH} are present`,
    );
  }
  return makeFrame(buffer);
}

/** Decodes a complete byte sequence (a request/response body, a stored journal) into frames. */
export function decodeFrames(bytes: Uint8Array, options?: FrameDecoderOptions): Frame[] {
  const decoder = new FrameDecoder(options);
  const frames = decoder.push(bytes);
  decoder.end();
  return frames;
}

export interface FrameDecoderOptions {
  /** Largest accepted payload, in bytes (header excluded). Default {@link DEFAULT_MAX_FRAME_LENGTH}. */
  maxFrameLength?: number;
}

/**
 * Incremental decoder for a stream of frames. `push` returns every frame completed by the chunk.
 *
 * Cost is linear in the bytes pushed: a frame inside one chunk is a zero-copy view of it; a frame
 * spanning chunks is copied once into a buffer sized from its header. The decoder keeps references
 * to pushed chunks (through `raw`), so callers must not reuse or mutate a chunk after pushing it.
 * A frame's declared length is checked before anything is allocated for it.
 *
 * After a thrown error the decoder is poisoned: every later call rethrows the same error.
 */
export class FrameDecoder {
  readonly maxFrameLength: number;
  /** Header bytes of a frame whose header straddles chunks. */
  #header = Buffer.alloc(FRAME_HEADER_LENGTH);
  #headerFilled = 0;
  /** The frame being assembled across chunks, header included. */
  #partial: Buffer | undefined;
  #partialFilled = 0;
  #failure: ProtocolError | undefined;
  #ended = false;

  constructor(options: FrameDecoderOptions = {}) {
    const max = options.maxFrameLength ?? DEFAULT_MAX_FRAME_LENGTH;
    if (!Number.isInteger(max) || max < 0 || max > MAX_U32) {
      throw new ProtocolError(ProtocolErrorCode.InvalidArgument, `maxFrameLength must be an integer in [0, 2^32), got ${max}`);
    }
    this.maxFrameLength = max;
  }

  /** Bytes received that belong to a frame not yet complete. */
  get bufferedBytes(): number {
    return this.#partial === undefined ? this.#headerFilled : this.#partialFilled;
  }

  push(chunk: Uint8Array): Frame[] {
    this.#check();
    if (this.#ended) {
      throw new ProtocolError(ProtocolErrorCode.InvalidArgument, "push after end() on a frame decoder");
    }
    const buf = asBuffer(chunk);
    const frames: Frame[] = [];
    let offset = 0;
    try {
      while (offset < buf.length) {
        if (this.#partial !== undefined) {
          const n = Math.min(this.#partial.length - this.#partialFilled, buf.length - offset);
          buf.copy(this.#partial, this.#partialFilled, offset, offset + n);
          this.#partialFilled += n;
          offset += n;
          if (this.#partialFilled === this.#partial.length) {
            frames.push(makeFrame(this.#partial));
            this.#partial = undefined;
            this.#partialFilled = 0;
          }
          continue;
        }

        if (this.#headerFilled > 0) {
          const n = Math.min(FRAME_HEADER_LENGTH - this.#headerFilled, buf.length - offset);
          buf.copy(this.#header, this.#headerFilled, offset, offset + n);
          this.#headerFilled += n;
          offset += n;
          if (this.#headerFilled < FRAME_HEADER_LENGTH) break;
          this.#headerFilled = 0;
          this.#startPartial(this.#header, 0, frames);
          continue;
        }

        const available = buf.length - offset;
        if (available < FRAME_HEADER_LENGTH) {
          buf.copy(this.#header, 0, offset);
          this.#headerFilled = available;
          break;
        }
        const length = buf.readUInt32BE(offset + 4);
        if (length > this.maxFrameLength) throw tooLarge(buf.readUInt16BE(offset), length, this.maxFrameLength);
        const total = FRAME_HEADER_LENGTH + length;
        if (available >= total) {
          frames.push(makeFrame(buf.subarray(offset, offset + total)));
          offset += total;
          continue;
        }
        // Header is here, the payload continues in later chunks.
        this.#startPartial(buf, offset, frames);
        offset += FRAME_HEADER_LENGTH;
      }
    } catch (error) {
      if (error instanceof ProtocolError) this.#failure = error;
      throw error;
    }
    return frames;
  }

  /** Declares the stream finished; throws if it stopped inside a frame. */
  end(): void {
    this.#check();
    this.#ended = true;
    const buffered = this.bufferedBytes;
    if (buffered === 0) return;
    const expected = this.#partial === undefined ? FRAME_HEADER_LENGTH : this.#partial.length;
    this.#failure = new ProtocolError(
      ProtocolErrorCode.TruncatedFrame,
      this.#partial === undefined
        ? `stream ended inside a frame header (${buffered} of ${expected} bytes)`
        : `stream ended inside frame ${messageTypeName(this.#partial.readUInt16BE(0))} (${buffered} of ${expected} bytes)`,
    );
    throw this.#failure;
  }

  /** Allocates the frame whose 8 header bytes start at `header[at]` and copies the header in. */
  #startPartial(header: Buffer, at: number, frames: Frame[]): void {
    const length = header.readUInt32BE(at + 4);
    if (length > this.maxFrameLength) throw tooLarge(header.readUInt16BE(at), length, this.maxFrameLength);
    const frame = Buffer.allocUnsafe(FRAME_HEADER_LENGTH + length);
    header.copy(frame, 0, at, at + FRAME_HEADER_LENGTH);
    if (length === 0) {
      frames.push(makeFrame(frame));
      return;
    }
    this.#partial = frame;
    this.#partialFilled = FRAME_HEADER_LENGTH;
  }

  #check(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }
}
