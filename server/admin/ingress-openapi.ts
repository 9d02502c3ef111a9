import type { HandlerManifest, InputPayload, OutputPayload, ServiceManifest, ServiceType } from "../../protocol/index.js";

/**
 * The OpenAPI 3.1 document of one service's ingress routes (`GET /services/{service}/openapi`), laid out
 * as restate-server 1.7.12 lays it out, so that tools reading its documents read ours: the 1.7 paths
 * `/restate/call/…` and `/restate/send/…`, the deprecated attach/output routes (by idempotency key, or
 * by workflow key for a workflow's run), the same operation ids, parameters, responses and component
 * names. The prose is our own. Built from the registry's handler metadata: content types, whether a
 * body is required, the JSON schemas the SDK declared, the documentation strings. Handlers that are
 * private to ingress are left out, as Restate leaves them out.
 */

export interface OpenApiServiceInput {
  readonly name: string;
  readonly ty: ServiceType;
  readonly revision: number;
  readonly definition: ServiceManifest;
}

type Json = Record<string, unknown>;

const DOCS = "https://docs.restate.dev/invoke/http";
const ref = (kind: "parameters" | "responses" | "schemas", name: string) => ({ $ref: `#/components/${kind}/${name}` });

/** Manifest defaults for a handler that declares no input or output (Restate 1.7's). */
const DEFAULT_INPUT: InputPayload = { contentType: "*/*", required: false };
const DEFAULT_OUTPUT: OutputPayload = { contentType: "application/json" };

/**
 * A handler's JSON schema as a component: `true` is the schema that accepts anything; references
 * inside it (`#/$defs/A`) are rebased onto the component (`#/components/schemas/xRequest/$defs/A`),
 * so they still resolve inside the OpenAPI document.
 */
export function componentSchema(schema: unknown, componentName: string): unknown {
  if (schema === true) return {};
  if (schema === false) return { not: {} };
  const rebase = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rebase);
    if (value === null || typeof value !== "object") return value;
    const out: Json = {};
    for (const [key, inner] of Object.entries(value)) {
      out[key] =
        key === "$ref" && typeof inner === "string" && inner.startsWith("#")
          ? `#/components/schemas/${componentName}${inner.slice(1)}`
          : rebase(inner);
    }
    return out;
  };
  return rebase(schema);
}

interface HandlerParts {
  readonly requestBody?: Json;
  /** The 200 answer of a call, an attach or an output. */
  readonly output: Json;
}

/** The request body and output of one handler; its schemas are added to `schemas`. */
function handlerParts(handler: HandlerManifest, schemas: Json): HandlerParts {
  const input = handler.input ?? DEFAULT_INPUT;
  const output = handler.output ?? DEFAULT_OUTPUT;
  let requestBody: Json | undefined;
  if (input.contentType !== undefined) {
    const media: Json = {};
    if (input.jsonSchema !== undefined) {
      const name = `${handler.name}Request`;
      schemas[name] = componentSchema(input.jsonSchema, name);
      media["schema"] = ref("schemas", name);
    }
    requestBody = { content: { [input.contentType]: media }, required: input.required === true };
  }
  let outputJson: Json = { description: "Empty" };
  if (output.contentType !== undefined) {
    const media: Json = {};
    if (output.jsonSchema !== undefined) {
      const name = `${handler.name}Response`;
      schemas[name] = componentSchema(output.jsonSchema, name);
      media["schema"] = ref("schemas", name);
    }
    outputJson = { content: { [output.contentType]: media }, description: "" };
  }
  return { ...(requestBody === undefined ? {} : { requestBody }), output: outputJson };
}

const GENERIC_ERROR = ref("responses", "GenericError");

/** The operations of one handler, by path. */
function handlerPaths(service: OpenApiServiceInput, handler: HandlerManifest, schemas: Json): Record<string, Json> {
  const { name: svc, ty } = service;
  const h = handler.name;
  const keyed = ty !== "SERVICE";
  const isWorkflow = ty === "WORKFLOW";
  const target = keyed ? `${svc}/{key}/${h}` : `${svc}/${h}`;
  const keyParam = keyed ? [ref("parameters", "key")] : [];
  // A workflow is keyed by its workflow id already: no idempotency key on its handlers.
  const idempotencyHeader = isWorkflow ? [] : [ref("parameters", "idempotencyKeyHeader")];
  const { requestBody, output } = handlerParts(handler, schemas);
  const body = requestBody === undefined ? {} : { requestBody };
  const docs = handler.documentation;

  const paths: Record<string, Json> = {
    [`/restate/call/${target}`]: {
      post: {
        summary: h,
        description: docs ?? `Calls ${svc}/${h} and answers with its result once it has finished.`,
        operationId: h,
        parameters: [...keyParam, ...idempotencyHeader],
        ...body,
        responses: { "200": output, default: GENERIC_ERROR },
      },
    },
    [`/restate/send/${target}`]: {
      post: {
        summary: h,
        description: docs ?? `Starts ${svc}/${h} without waiting for its result; answers with the invocation id.`,
        operationId: `${h}Send`,
        parameters: [...keyParam, ...idempotencyHeader, ref("parameters", "delay")],
        ...body,
        responses: { "200": ref("responses", "Send"), "202": ref("responses", "Send"), default: GENERIC_ERROR },
        tags: ["Send"],
      },
    },
  };

  const attachOutput = (base: string, params: Json[], what: string) => {
    const deprecation = `Deprecated in Restate 1.7: look the invocation id up with POST /restate/lookup, then use /restate/attach/{invocationId} or /restate/output/{invocationId}.`;
    paths[`${base}/attach`] = {
      get: {
        summary: h,
        description: `${deprecation} ${docs ?? `Waits for ${what} to finish and answers with its result.`}`,
        operationId: `${h}Attach`,
        deprecated: true,
        parameters: params,
        responses: { "200": output, "404": ref("responses", "InvocationNotFoundError"), default: GENERIC_ERROR },
        tags: ["Attach"],
      },
    };
    paths[`${base}/output`] = {
      get: {
        summary: h,
        description: `${deprecation} ${docs ?? `Answers with the result of ${what} if it has finished.`}`,
        operationId: `${h}Output`,
        deprecated: true,
        parameters: params,
        responses: {
          "200": output,
          "404": ref("responses", "InvocationNotFoundError"),
          "470": ref("responses", "InvocationNotReadyError"),
          default: GENERIC_ERROR,
        },
        tags: ["Get Output"],
      },
    };
  };
  if (!isWorkflow) {
    attachOutput(`/restate/invocation/${target}/{idempotencyKey}`, [...keyParam, ref("parameters", "idempotencyKeyPath")], `the ${svc}/${h} invocation started with this idempotency key`);
  } else if (handler.ty === "WORKFLOW") {
    attachOutput(`/restate/workflow/${svc}/{key}`, keyParam, `the ${svc} workflow run with this key`);
  }
  return paths;
}

/** The parts shared by every service's document. */
function commonComponents(): { parameters: Json; responses: Json; errorSchema: Json } {
  const errorSchema = {
    title: "RestateError",
    description: "The body of an error answered by the ingress, or of a terminal error an invocation ended with.",
    type: "object",
    additionalProperties: false,
    required: ["message", "source"],
    properties: {
      code: { title: "error code", type: "number" },
      message: { title: "error message", type: "string" },
      metadata: { title: "error metadata", type: "object", additionalProperties: { type: "string" } },
      source: {
        title: "error source",
        description: "`ingress` for an error of the ingress itself (an HTTP status with its usual meaning), `invocation` for the outcome of the invocation (a status the handler chose); also sent as the `x-restate-error-source` header.",
        type: "string",
        enum: ["ingress", "invocation"],
      },
      stacktrace: { title: "stack trace", type: "string" },
    },
  };
  const errorResponse = (description: string, example: Json) => ({
    description,
    content: { "application/json": { schema: ref("schemas", "RestateError"), example } },
  });
  const stringParam = (p: Json) => ({ ...p, schema: { type: "string" } });
  return {
    errorSchema,
    parameters: {
      delay: stringParam({ name: "delay", in: "query", required: false, example: "10s", description: `Runs the invocation after this delay (\`10s\`, \`PT1M\`). See ${DOCS}.` }),
      idempotencyKeyHeader: stringParam({ name: "idempotency-key", in: "header", required: false, description: `Makes the request idempotent: a repeat with the same key gets the same invocation. See ${DOCS}.` }),
      idempotencyKeyPath: stringParam({ name: "idempotencyKey", in: "path", required: true, description: "The idempotency key the invocation was started with." }),
      key: stringParam({ name: "key", in: "path", required: true }),
    },
    responses: {
      GenericError: errorResponse("An error", { code: 500, message: "Internal server error", source: "invocation" }),
      InvocationNotFoundError: errorResponse("No such invocation", { message: "invocation not found", source: "ingress" }),
      InvocationNotReadyError: errorResponse("The invocation has not finished yet", {
        message: "the invocation exists but has not completed yet",
        source: "ingress",
      }),
      Send: {
        description: "The invocation was accepted",
        content: {
          "application/json": {
            example: { invocationId: "inv_1aiqX0vFEFNH1Umgre58JiCLgHfTtztYK5", status: "Accepted" },
            schema: {
              title: "RestateSendResponse",
              type: "object",
              additionalProperties: false,
              required: ["invocationId", "status"],
              properties: {
                invocationId: { type: "string" },
                status: { type: "string", enum: ["Accepted", "PreviouslyAccepted"] },
                executionTime: { type: "string", format: "date-time", description: "When a delayed invocation will run (with `delay`)." },
              },
            },
          },
        },
      },
    },
  };
}

const TAGS = [
  ["Request Response", "Call a handler and wait for its result"],
  ["Send", "Start a handler without waiting"],
  ["Attach", "Wait for an invocation that was started earlier"],
  ["Get Output", "Read the result of an invocation that was started earlier"],
] as const;

/** The document; `ingressUrl` (the advertised ingress address) becomes its only server when known. */
export function ingressOpenApi(service: OpenApiServiceInput, ingressUrl: string | null): Json {
  const { parameters, responses, errorSchema } = commonComponents();
  const schemas: Json = { RestateError: errorSchema };
  const unordered: Record<string, Json> = {};
  for (const handler of service.definition.handlers) {
    if (handler.ingressPrivate === true) continue;
    Object.assign(unordered, handlerPaths(service, handler, schemas));
  }
  const paths = Object.fromEntries(Object.keys(unordered).sort().map((p) => [p, unordered[p]!]));
  const documentation = service.definition.documentation;
  return {
    openapi: "3.1.0",
    info: { title: service.name, version: String(service.revision), ...(documentation === undefined ? {} : { description: documentation }) },
    ...(ingressUrl === null ? {} : { servers: [{ url: ingressUrl, description: "Restate Ingress URL" }] }),
    paths,
    components: { parameters, responses, schemas },
    tags: TAGS.map(([name, description]) => ({ name, description, externalDocs: { description: null, url: DOCS } })),
  };
}
