import { describe, expect, it } from "vitest";
import type { HandlerManifest, ServiceManifest, ServiceType } from "../../../../protocol/index.js";
import { componentSchema, ingressOpenApi } from "../../../../server/admin/ingress-openapi.js";

// The per-service ingress document, laid out as restate-server 1.7.12 lays it out (compared with what it
// served for equivalent services: shared/reference/restate-1.7-ingress-openapi-*.json and the
// differential scenario in test/differential/admin-routes.test.ts).

// What the official TypeScript SDK declares for a handler with the default JSON serde.
const json = { input: { required: false, contentType: "application/json" }, output: { contentType: "application/json", setContentTypeIfEmpty: false } };

function service(name: string, ty: ServiceType, handlers: HandlerManifest[], extra: Partial<ServiceManifest> = {}) {
  return { name, ty, revision: 3, definition: { name, ty, handlers, ...extra } };
}

type Op = { operationId: string; parameters: unknown[]; responses: Record<string, unknown>; tags?: string[]; deprecated?: boolean; requestBody?: unknown; description: string };
type Doc = { paths: Record<string, Record<string, Op>>; components: { schemas: Record<string, unknown> }; info: Record<string, unknown>; servers?: unknown[] };
const doc = (...args: Parameters<typeof ingressOpenApi>) => ingressOpenApi(...args) as unknown as Doc;
const p = (name: string) => ({ $ref: `#/components/parameters/${name}` });
const ops = (d: Doc) => Object.entries(d.paths).flatMap(([path, methods]) => Object.entries(methods).map(([m, op]) => `${m} ${path} ${op.operationId}`));

describe("ingressOpenApi", () => {
  it("documents a service's handlers under /restate/call, /restate/send and the deprecated idempotency routes", () => {
    const d = doc(service("Greeter", "SERVICE", [{ name: "greet", ...json }, { name: "echo", ...json }]), "http://127.0.0.1:8080/");
    expect(ops(d)).toEqual([
      "post /restate/call/Greeter/echo echo",
      "post /restate/call/Greeter/greet greet",
      "get /restate/invocation/Greeter/echo/{idempotencyKey}/attach echoAttach",
      "get /restate/invocation/Greeter/echo/{idempotencyKey}/output echoOutput",
      "get /restate/invocation/Greeter/greet/{idempotencyKey}/attach greetAttach",
      "get /restate/invocation/Greeter/greet/{idempotencyKey}/output greetOutput",
      "post /restate/send/Greeter/echo echoSend",
      "post /restate/send/Greeter/greet greetSend",
    ]);
    const call = d.paths["/restate/call/Greeter/greet"]!["post"]!;
    expect(call.parameters).toEqual([p("idempotencyKeyHeader")]);
    expect(call.requestBody).toEqual({ content: { "application/json": {} }, required: false });
    expect(call.responses).toEqual({ "200": { content: { "application/json": {} }, description: "" }, default: { $ref: "#/components/responses/GenericError" } });
    expect(call.tags).toBeUndefined();
    const send = d.paths["/restate/send/Greeter/greet"]!["post"]!;
    expect(send.parameters).toEqual([p("idempotencyKeyHeader"), p("delay")]);
    expect(Object.keys(send.responses)).toEqual(["200", "202", "default"]);
    expect(send.tags).toEqual(["Send"]);
    const output = d.paths["/restate/invocation/Greeter/greet/{idempotencyKey}/output"]!["get"]!;
    expect(output).toMatchObject({ deprecated: true, tags: ["Get Output"], parameters: [p("idempotencyKeyPath")] });
    expect(Object.keys(output.responses)).toEqual(["200", "404", "470", "default"]);
    expect(d.info).toEqual({ title: "Greeter", version: "3" });
    expect(d.servers).toEqual([{ url: "http://127.0.0.1:8080/", description: "Restate Ingress URL" }]);
  });

  it("puts the key in the paths of a virtual object, before the idempotency key", () => {
    const d = doc(service("Counter", "VIRTUAL_OBJECT", [{ name: "add", ...json }, { name: "get", ty: "SHARED", ...json }]), null);
    expect(d.paths["/restate/call/Counter/{key}/get"]!["post"]!.parameters).toEqual([p("key"), p("idempotencyKeyHeader")]);
    expect(d.paths["/restate/send/Counter/{key}/add"]!["post"]!.parameters).toEqual([p("key"), p("idempotencyKeyHeader"), p("delay")]);
    expect(d.paths["/restate/invocation/Counter/{key}/add/{idempotencyKey}/attach"]!["get"]!.parameters).toEqual([p("key"), p("idempotencyKeyPath")]);
    expect(d.servers).toBeUndefined();
  });

  it("gives a workflow's run attach and output by workflow key, and no idempotency key anywhere", () => {
    const d = doc(service("Wf", "WORKFLOW", [{ name: "run", ty: "WORKFLOW", ...json }, { name: "status", ty: "SHARED", ...json }]), null);
    expect(ops(d)).toEqual([
      "post /restate/call/Wf/{key}/run run",
      "post /restate/call/Wf/{key}/status status",
      "post /restate/send/Wf/{key}/run runSend",
      "post /restate/send/Wf/{key}/status statusSend",
      "get /restate/workflow/Wf/{key}/attach runAttach",
      "get /restate/workflow/Wf/{key}/output runOutput",
    ]);
    expect(d.paths["/restate/call/Wf/{key}/run"]!["post"]!.parameters).toEqual([p("key")]);
    expect(d.paths["/restate/send/Wf/{key}/status"]!["post"]!.parameters).toEqual([p("key"), p("delay")]);
    expect(d.paths["/restate/workflow/Wf/{key}/attach"]!["get"]!.parameters).toEqual([p("key")]);
  });

  it("turns declared JSON schemas into components, and follows the content types and defaults", () => {
    const d = doc(
      service(
        "Typed",
        "SERVICE",
        [
          {
            name: "withSchema",
            documentation: "greets by name",
            input: { required: true, contentType: "application/json", jsonSchema: { type: "object", properties: { name: { $ref: "#/$defs/Name" } }, $defs: { Name: { type: "string" } } } },
            output: { contentType: "application/json", jsonSchema: true },
          },
          { name: "noInput", input: {}, output: {} },
          { name: "bare" },
          { name: "text", input: { contentType: "text/plain" }, output: { contentType: "text/plain" } },
          { name: "hidden", ingressPrivate: true, ...json },
        ],
        { documentation: "a typed service" },
      ),
      null,
    );
    expect(d.info["description"]).toBe("a typed service");
    expect(Object.keys(d.paths).some((path) => path.includes("hidden"))).toBe(false);
    expect(Object.keys(d.components.schemas).sort()).toEqual(["RestateError", "withSchemaRequest", "withSchemaResponse"]);
    expect(d.components.schemas["withSchemaRequest"]).toEqual({
      type: "object",
      properties: { name: { $ref: "#/components/schemas/withSchemaRequest/$defs/Name" } },
      $defs: { Name: { type: "string" } },
    });
    expect(d.components.schemas["withSchemaResponse"]).toEqual({});
    const typed = d.paths["/restate/call/Typed/withSchema"]!["post"]!;
    expect(typed.description).toBe("greets by name");
    expect(typed.requestBody).toEqual({ content: { "application/json": { schema: { $ref: "#/components/schemas/withSchemaRequest" } } }, required: true });
    expect(typed.responses["200"]).toEqual({ content: { "application/json": { schema: { $ref: "#/components/schemas/withSchemaResponse" } } }, description: "" });
    const noInput = d.paths["/restate/call/Typed/noInput"]!["post"]!;
    expect(noInput.requestBody).toBeUndefined();
    expect(noInput.responses["200"]).toEqual({ description: "Empty" });
    expect(d.paths["/restate/send/Typed/bare"]!["post"]!.requestBody).toEqual({ content: { "*/*": {} }, required: false });
    expect(d.paths["/restate/call/Typed/bare"]!["post"]!.responses["200"]).toEqual({ content: { "application/json": {} }, description: "" });
    expect(d.paths["/restate/call/Typed/text"]!["post"]!.requestBody).toEqual({ content: { "text/plain": {} }, required: false });
  });

  it("componentSchema rebases local references and leaves others alone", () => {
    expect(componentSchema({ items: [{ $ref: "#/definitions/X" }, { $ref: "https://example.com/s.json" }] }, "aResponse")).toEqual({
      items: [{ $ref: "#/components/schemas/aResponse/definitions/X" }, { $ref: "https://example.com/s.json" }],
    });
    expect(componentSchema(false, "x")).toEqual({ not: {} });
  });
});
