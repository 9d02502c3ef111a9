import { describe, it } from "vitest";
import { differential, normalizeContentType } from "./harness.js";
import { approvalFlow, counter, greeter, startWaiting, waiter } from "./services.js";

// The rest of the admin API (subscriptions, deployment update and delete, batch invocation operations,
// OpenAPI documents): the same requests against stet and restate-server 1.7, equal records.
const diff = differential([greeter, waiter, counter, approvalFlow]);

// A well-formed subscription id that neither server knows.
const UNKNOWN_SUBSCRIPTION = "sub_11XHoawGhrSJKjOqAi4GlsZ";

describe("subscriptions (no Kafka cluster on either server)", () => {
  it("GET /subscriptions is an empty list; GET and DELETE of an id answer 404", () =>
    diff.compare(async (t) => {
      await t.admin("GET", "/subscriptions");
      await t.admin("GET", "/v4/subscriptions?sink=service://DiffGreeter/greet");
      await t.admin("GET", `/subscriptions/${UNKNOWN_SUBSCRIPTION}`);
      await t.admin("DELETE", `/subscriptions/${UNKNOWN_SUBSCRIPTION}`);
    }));

  it("POST /subscriptions is refused: unknown cluster, bad source, bad or unknown sink", () =>
    diff.compare(async (t) => {
      await t.admin("POST", "/subscriptions", { source: "kafka://my-cluster/orders", sink: "service://DiffGreeter/greet" });
      await t.admin("POST", "/subscriptions", { source: "kafka://c/t", sink: "service://DiffGreeter/greet", options: { "group.id": "g" } });
      await t.admin("POST", "/subscriptions", { source: "http://x/topic", sink: "bogus" });
      await t.admin("POST", "/subscriptions", { source: "kafka://c/t", sink: "bogus" });
      await t.admin("POST", "/subscriptions", { source: "kafka://c/t", sink: "service://DiffGreeter/nope" });
      await t.admin("POST", "/subscriptions", { source: "kafka://c/t", sink: "service://Nope/greet" });
      // A missing field: 422 on both (restate's body is text/plain: known-differences.ts).
      await t.admin("POST", "/subscriptions", { source: "kafka://c/t" }, { compare: "status-only" });
    }));
});

// A well-formed deployment id that neither server knows.
const UNKNOWN_DEPLOYMENT = "dp_11KiDRf4oezxQ100obKQiZj";

const deploymentId = async (t: Parameters<Parameters<typeof diff.compare>[0]>[0]): Promise<string> => {
  const list = await t.admin("GET", "/deployments", undefined, { compare: "status-only" });
  return (list.json as { deployments: Array<{ id: string }> }).deployments[0]!.id;
};

describe("DELETE /deployments/{id} without force", () => {
  it("answers 501 with an empty body, for a known or an unknown id; force=true on an unknown id 404", () =>
    diff.compare(async (t) => {
      const id = await deploymentId(t);
      await t.admin("DELETE", `/deployments/${id}`, undefined, { recordHeaders: ["content-length"] });
      await t.admin("DELETE", `/deployments/${id}?force=false`, undefined, { recordHeaders: ["content-length"] });
      await t.admin("DELETE", `/deployments/${UNKNOWN_DEPLOYMENT}`, undefined, { recordHeaders: ["content-length"] });
      await t.admin("DELETE", `/deployments/${UNKNOWN_DEPLOYMENT}?force=true`);
      await t.admin("GET", `/deployments/${id}`, undefined, { compare: "status-only", label: "still there" });
    }));
});

describe("PATCH /deployments/{id}", () => {
  it("re-discovers the deployment; headers are replaced when given, kept otherwise", () =>
    diff.compare(async (t) => {
      const id = await deploymentId(t);
      await t.admin("PATCH", `/deployments/${id}`, {});
      await t.admin("PATCH", `/deployments/${id}`, { additional_headers: { "X-Diff": "one" } });
      await t.admin("PATCH", `/deployments/${id}`, { dry_run: true, overwrite: true });
      await t.admin("GET", `/deployments/${id}`);
      await t.admin("PATCH", `/deployments/${id}`, { additional_headers: {}, overwrite: true });
      await t.admin("GET", "/deployments");
      await t.admin("PATCH", `/deployments/${UNKNOWN_DEPLOYMENT}`, {});
      await t.admin("PUT", `/deployments/${id}`, {});
      await t.admin("PUT", `/v2/deployments/${id}`, {});
    }));
});

// A well-formed invocation id that neither server knows.
const UNKNOWN_INVOCATION = "inv_1hgbZ622b8d23cDtkaBIBxj15eXBQdlA9u";
const BATCH = "/internal/invocations_batch_operations";

describe("POST /internal/invocations_batch_operations/{op}", () => {
  it("pause, purge, kill, restart-as-new and resume over completed, waiting and unknown invocations", () =>
    diff.compare(async (t) => {
      const done = (await t.call("/DiffGreeter/greet", "batch")).invocationId!;
      const waiting = (await startWaiting(t, `batch-${t.tag}`)).invocationId;
      await t.admin("POST", `${BATCH}/pause`, { invocation_ids: [done, waiting, UNKNOWN_INVOCATION] });
      await t.admin("POST", `${BATCH}/purge`, { invocation_ids: [done, waiting, UNKNOWN_INVOCATION] });
      await t.admin("POST", `${BATCH}/kill`, { invocation_ids: [waiting, waiting] });
      await t.admin("POST", `${BATCH}/cancel`, { invocation_ids: [waiting, done] });
      await t.admin("POST", `${BATCH}/resume`, { invocation_ids: [waiting], deployment: "Latest" });
      const restarted = await t.admin("POST", `/v4${BATCH}/restart-as-new`, { invocation_ids: [waiting, UNKNOWN_INVOCATION], deployment: "keep" });
      const item = (restarted.json as { succeeded: Array<{ new_invocation_id: string }> }).succeeded[0];
      if (item !== undefined) await t.admin("POST", `${BATCH}/kill`, { invocation_ids: [item.new_invocation_id] }, { label: "kill the restarted one" });
    }));

  it("an empty batch; more than 1000 ids and a bad deployment answer 400", () =>
    diff.compare(async (t) => {
      await t.admin("POST", `${BATCH}/resume`, { invocation_ids: [] });
      await t.admin("POST", `${BATCH}/kill`, { invocation_ids: Array.from({ length: 1001 }, () => UNKNOWN_INVOCATION) });
      await t.admin("POST", `${BATCH}/restart-as-new`, { invocation_ids: [UNKNOWN_INVOCATION], deployment: "bogus" });
      // A malformed id: 422 on both (restate's body is text/plain: known-differences.ts).
      await t.admin("POST", `${BATCH}/purge`, { invocation_ids: ["bogus"] }, { compare: "status-only" });
    }));
});

/** A document without its prose (descriptions, examples, titles): what must match, the words may differ. */
function structure(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(structure);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => k !== "description" && k !== "example" && k !== "title")
      .map(([k, v]) => [k, structure(v)]),
  );
}

describe("GET /services/{service}/openapi", () => {
  it("documents a service, a virtual object and a workflow as restate-server does (structure equal, prose our own)", () =>
    diff.compare(async (t) => {
      for (const name of ["DiffGreeter", "DiffCounter", "DiffWorkflow"]) {
        const res = await t.admin("GET", `/services/${name}/openapi`, undefined, { compare: "shape" });
        t.note(`${name} document`, structure(res.json));
      }
      await t.admin("GET", "/v4/services/NoSuchService/openapi");
    }));
});

// Routes both servers serve and document with the same methods (stet's own additions — the
// deprecated PUT it documents under /v2, its GET /invocations/{id} — are left out of this list).
const DOCUMENTED_BY_BOTH = [
  "/deployments",
  "/deployments/{deployment}",
  "/health",
  "/version",
  "/services",
  "/services/{service}",
  "/services/{service}/handlers",
  "/services/{service}/handlers/{handler}",
  "/services/{service}/openapi",
  "/subscriptions",
  "/subscriptions/{subscription}",
  "/invocations/{invocation_id}/cancel",
  "/invocations/{invocation_id}/kill",
  "/invocations/{invocation_id}/purge",
  "/invocations/{invocation_id}/pause",
  "/invocations/{invocation_id}/resume",
  "/invocations/{invocation_id}/restart-as-new",
];

describe("GET /openapi", () => {
  it("answers an OpenAPI 3.1 document of the admin API with the same paths and methods", () =>
    diff.compare(async (t) => {
      for (const path of ["/openapi", "/v4/openapi"]) {
        const res = await t.admin("GET", path, undefined, { compare: "status-only" });
        const doc = res.json as { openapi: string; paths: Record<string, Record<string, unknown>> };
        t.note(`${path}: content-type`, normalizeContentType(res.headers.get("content-type") ?? ""));
        t.note(`${path}: openapi`, doc.openapi);
        t.note(
          `${path}: methods`,
          DOCUMENTED_BY_BOTH.map((p) => `${p} ${Object.keys(doc.paths[p] ?? {}).filter((m) => m !== "put").sort().join(",")}`),
        );
      }
    }));
});
