// A compact binary encoding of a batch of commands: the payload of one log record in option (b).
// Hand-rolled (kind byte, length-prefixed strings and bytes) so that encoding costs about what a
// product codec would, and so that a failover can decode and replay what it reads.
import type { Command, Entry } from "./model.js";

const KIND = { invoke: 1, journal: 2, end: 3, expire: 4 } as const;

class Writer {
  #buf = Buffer.allocUnsafe(4096);
  #at = 0;
  #room(n: number): void {
    if (this.#at + n <= this.#buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#at + n));
    this.#buf.copy(next, 0, 0, this.#at);
    this.#buf = next;
  }
  u8(v: number): void {
    this.#room(1);
    this.#buf[this.#at++] = v;
  }
  u32(v: number): void {
    this.#room(4);
    this.#buf.writeUInt32LE(v, this.#at);
    this.#at += 4;
  }
  f64(v: number): void {
    this.#room(8);
    this.#buf.writeDoubleLE(v, this.#at);
    this.#at += 8;
  }
  str(s: string): void {
    const n = Buffer.byteLength(s);
    this.u32(n);
    this.#room(n);
    this.#buf.write(s, this.#at);
    this.#at += n;
  }
  bytes(b: Buffer): void {
    this.u32(b.length);
    this.#room(b.length);
    b.copy(this.#buf, this.#at);
    this.#at += b.length;
  }
  done(): Buffer {
    return this.#buf.subarray(0, this.#at);
  }
}

export function encodeBatch(cmds: readonly Command[]): Buffer {
  const w = new Writer();
  w.u32(cmds.length);
  for (const c of cmds) {
    w.u8(KIND[c.k]);
    w.f64(c.now);
    switch (c.k) {
      case "invoke":
        w.str(c.id);
        w.str(c.key);
        w.bytes(c.input);
        break;
      case "journal":
        w.str(c.id);
        w.u32(c.entries.length);
        for (const e of c.entries) {
          w.u32(e.type);
          w.bytes(e.frame);
          w.u8(e.state === undefined ? 0 : 1);
          if (e.state !== undefined) {
            w.str(e.state.key);
            w.bytes(e.state.value);
          }
        }
        break;
      case "end":
        w.str(c.id);
        w.bytes(c.output);
        break;
      case "expire":
        w.u32(c.ids.length);
        for (const id of c.ids) w.str(id);
        break;
    }
  }
  return w.done();
}

export function decodeBatch(buf: Buffer): Command[] {
  let at = 0;
  const u8 = () => buf[at++]!;
  const u32 = () => {
    const v = buf.readUInt32LE(at);
    at += 4;
    return v;
  };
  const f64 = () => {
    const v = buf.readDoubleLE(at);
    at += 8;
    return v;
  };
  const bytes = () => {
    const n = u32();
    const b = buf.subarray(at, at + n);
    at += n;
    return b;
  };
  const str = () => bytes().toString();
  const out: Command[] = [];
  for (let i = u32(); i > 0; i--) {
    const kind = u8();
    const now = f64();
    if (kind === KIND.invoke) {
      out.push({ k: "invoke", now, id: str(), key: str(), input: bytes() });
    } else if (kind === KIND.journal) {
      const id = str();
      const entries: Entry[] = [];
      for (let n = u32(); n > 0; n--) {
        const type = u32();
        const frame = bytes();
        entries.push(u8() === 1 ? { type, frame, state: { key: str(), value: bytes() } } : { type, frame });
      }
      out.push({ k: "journal", now, id, entries });
    } else if (kind === KIND.end) {
      out.push({ k: "end", now, id: str(), output: bytes() });
    } else {
      const ids: string[] = [];
      for (let n = u32(); n > 0; n--) ids.push(str());
      out.push({ k: "expire", now, ids });
    }
  }
  return out;
}
