import type { FastifyReply, FastifyRequest } from "fastify";
import { describe, expect, it } from "vitest";
import { RequestLogController } from "../../../../server/http/request-log.js";

// The request line's level: a client leaving a streamed response early is info, a real failure error.

function logged(error: Error): Array<[string, string]> {
  const lines: Array<[string, string]> = [];
  const log = {
    error: (_fields: unknown, message: string) => lines.push(["error", message]),
    info: (_fields: unknown, message: string) => lines.push(["info", message]),
  };
  const reply = { log, statusCode: 200, elapsedTime: 1 } as unknown as FastifyReply;
  new RequestLogController().requestCompleted(error, { method: "POST", url: "/query" } as FastifyRequest, reply);
  return lines;
}

describe("RequestLogController", () => {
  it("logs a client that left before a streamed response ended at info, other failures at error", () => {
    const premature = Object.assign(new Error("Premature close"), { code: "ERR_STREAM_PREMATURE_CLOSE" });
    expect(logged(premature)).toEqual([["info", "client left before the response ended"]]);
    expect(logged(new Error("boom"))).toEqual([["error", "request errored"]]);
  });
});
