import { it } from "vitest";
import { FrameDecoder, encodeFrame, newInvocationId, parseInvocationId, invocationIdToBytes, partitionKeyOf, randomPartitionKey, partitionKeyForKey, formatAwakeableId, parseAwakeableId, decodeMessage, encodeMessage, MessageType, create, StartMessageSchema, partitionOf } from "/work/main/protocol/index.js";
function time(name: string, n: number, fn: () => void) { const t = process.hrtime.bigint(); for (let i = 0; i < n; i++) fn(); const ns = Number(process.hrtime.bigint() - t) / n; console.log(`${name}: ${ns.toFixed(0)} ns/op`); }
it("bench", () => {
  const frames = Buffer.concat(Array.from({ length: 1000 }, (_, i) => encodeFrame(0x0403, Buffer.alloc(100 + (i % 50)))));
  time("decode 1000 frames, 1 chunk", 200, () => new FrameDecoder().push(frames));
  const chunks: Buffer[] = []; for (let o = 0; o < frames.length; o += 16384) chunks.push(frames.subarray(o, o + 16384));
  time("decode 1000 frames, 16K chunks", 200, () => { const d = new FrameDecoder(); for (const c of chunks) d.push(c); });
  const big = encodeFrame(0x0401, Buffer.alloc(8 * 1024 * 1024)); const bigChunks: Buffer[] = []; for (let o = 0; o < big.length; o += 16384) bigChunks.push(big.subarray(o, o + 16384));
  time("decode 8MiB frame in 16K chunks", 20, () => { const d = new FrameDecoder(); for (const c of bigChunks) d.push(c); });
  const pk = randomPartitionKey();
  time("newInvocationId", 100000, () => newInvocationId(pk));
  const id = newInvocationId(pk);
  time("parseInvocationId", 100000, () => parseInvocationId(id));
  time("invocationIdToBytes", 100000, () => invocationIdToBytes(id));
  time("partitionKeyOf", 100000, () => partitionKeyOf(id));
  time("partitionOf", 100000, () => partitionOf(pk, 24));
  time("partitionKeyForKey", 100000, () => partitionKeyForKey("Counter", "alice"));
  const awk = formatAwakeableId(id, 17);
  time("parseAwakeableId", 100000, () => parseAwakeableId(awk));
  const start = encodeMessage(MessageType.Start, create(StartMessageSchema, { id: invocationIdToBytes(id), debugId: id, knownEntries: 5 }));
  time("decode StartMessage", 100000, () => decodeMessage(MessageType.Start, start));
});
