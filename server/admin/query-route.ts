import type { FastifyInstance } from "fastify";
import type { QueryAnswer } from "../query/query-process.js";
import { isQueryBusy } from "../query/query-process.js";
import type { ResultFormat } from "../query/query-messages.js";

/** What answers `POST /query`: the query process (server/query/query-process.ts), or a stand-in in tests. */
export interface QueryRunner {
  run(sql: string, format: ResultFormat): Promise<QueryAnswer>;
}

const querySchema = {
  body: {
    type: "object",
    required: ["query"],
    properties: { query: { type: "string" } },
  },
} as const;

/**
 * `POST /query`, Restate's SQL introspection: `{"query": sql}` in; JSON rows out when `Accept` is exactly
 * `application/json` (the official CLI compares the whole header, and the response's content type too,
 * so no charset is added), an Arrow IPC stream for anything else. Errors before the first byte answer
 * with the admin error body; a later one cuts the body short, as Restate's does.
 */
export function registerQueryRoute(app: FastifyInstance, runner: QueryRunner): void {
  app.post<{ Body: { query: string } }>("/query", { schema: querySchema }, async (request, reply) => {
    const format: ResultFormat = request.headers.accept === "application/json" ? "json" : "arrow";
    let answer: QueryAnswer;
    try {
      answer = await runner.run(request.body.query, format);
    } catch (error) {
      if (isQueryBusy(error)) void reply.header("retry-after", "1");
      throw error;
    }
    // A caller that goes away stops the query.
    reply.raw.once("close", () => answer.body.destroy());
    return reply.status(200).header("content-type", answer.contentType).send(answer.body);
  });
}
