import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../../server/logger.js";

/** A destination that keeps what is written; `written` resolves on the first write (pino-pretty may write later). */
function sink() {
  const chunks: string[] = [];
  let wrote: () => void = () => {};
  const written = new Promise<void>((resolve) => (wrote = resolve));
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(String(chunk));
      wrote();
      done();
    },
  });
  return { chunks, stream, written };
}

describe("createLogger", () => {
  it("writes JSON lines when stdout is not a terminal", async () => {
    const { chunks, stream } = sink();
    const log = await createLogger({ level: "info", tty: false, destination: stream });
    log.info({ invocationId: "inv_1" }, "hello");
    log.debug("hidden");
    expect(chunks).toHaveLength(1);
    expect(JSON.parse(chunks[0]!)).toMatchObject({ level: 30, msg: "hello", invocationId: "inv_1" });
  });

  it("writes readable lines (pino-pretty) when stdout is a terminal", async () => {
    const { chunks, stream, written } = sink();
    const log = await createLogger({ level: "info", tty: true, destination: stream });
    log.info({ invocationId: "inv_1" }, "hello");
    await written;
    const text = chunks.join("");
    expect(() => JSON.parse(text)).toThrow();
    // Level name, message and fields on one line.
    expect(text).toMatch(/INFO.*hello.*inv_1/);
    expect(text.trimEnd().split("\n")).toHaveLength(1);
  });

  it("decides by process.stdout.isTTY when not told", async () => {
    const saved = Object.getOwnPropertyDescriptor(process.stdout, "isTTY");
    try {
      for (const isTTY of [true, false]) {
        Object.defineProperty(process.stdout, "isTTY", { value: isTTY, configurable: true });
        const { chunks, stream, written } = sink();
        (await createLogger({ level: "info", destination: stream })).info("x");
        await written;
        expect(chunks.join("").startsWith("{")).toBe(!isTTY);
      }
    } finally {
      if (saved === undefined) delete (process.stdout as { isTTY?: boolean }).isTTY;
      else Object.defineProperty(process.stdout, "isTTY", saved);
    }
  });
});
