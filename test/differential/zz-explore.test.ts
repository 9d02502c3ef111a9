import { writeFileSync } from "node:fs";
import { it } from "vitest";
import { differential, type Target } from "./harness.js";
import { greeter } from "./services.js";

const diff = differential([greeter]);
const UNKNOWN = "inv_1hgbZ622b8d23cDtkaBIBxj15eXBQdlA9u";

async function scenario(t: Target) {
  await t.get(`/restate/invocation/${UNKNOWN}/output`);
  await t.get(`/restate/invocation/${UNKNOWN}/attach`);
  const f = await t.call("/DiffGreeter/failCustom/send");
  await t.get(`/restate/invocation/${f.invocationId}/attach`);
  await t.get(`/restate/invocation/${f.invocationId}/output`);
  const v = await t.call("/DiffGreeter/nothing/send");
  await t.get(`/restate/invocation/${v.invocationId}/attach`);
  await t.get(`/restate/invocation/${v.invocationId}/output`);
  // body without content-type
  const res = await fetch(`${t.ingressUrl}/DiffGreeter/greet`, { method: "POST", body: new TextEncoder().encode('"raw"') });
  t.note("no content-type with body", { status: res.status, ct: res.headers.get("content-type"), body: await res.text() });
  const res2 = await fetch(`${t.ingressUrl}/DiffGreeter/nothing`, { method: "POST", body: new TextEncoder().encode('') });
  t.note("no content-type empty body", { status: res2.status, ct: res2.headers.get("content-type"), body: await res2.text() });
  await t.call("/DiffGreeter/nothing", undefined, { rawBody: "", headers: { "content-type": "application/json" } });
  await t.call("/DiffGreeter/greet", undefined, { rawBody: "\"x\"", headers: { "content-type": "application/JSON" } });
  await t.call("/DiffGreeter/greet", undefined, { rawBody: "\"x\"", headers: { "content-type": "application/json;charset=latin1" } });
  await t.get("/DiffGreeter/greet/send");
  await t.ingress("OPTIONS", "/restate/health", undefined, { recordHeaders: ["access-control-allow-origin", "allow", "access-control-allow-methods"] });
  await t.ingress("OPTIONS", "/DiffGreeter/greet", undefined, { recordHeaders: ["access-control-allow-origin", "allow", "access-control-allow-methods"], headers: { origin: "http://x", "access-control-request-method": "POST" } });
  await t.call("/DiffGreeter/greet", "cors", { recordHeaders: ["access-control-allow-origin", "vary", "access-control-allow-credentials"], headers: { origin: "http://x" } });
  await t.get("/restate/health", { recordHeaders: ["access-control-allow-origin", "vary", "access-control-allow-credentials"] });
  await t.call("/DiffGreeter/greet", "hdr", { recordHeaders: ["content-length", "transfer-encoding", "server", "date", "vary", "connection", "keep-alive"] });
  await t.call("/DiffGreeter/failCustom", undefined, { recordHeaders: ["content-length", "transfer-encoding", "vary"] });
  await t.call("/DiffGreeter/greet/send", "b", { recordHeaders: ["content-length", "vary", "location"] });
  await t.call("/DiffGreeter/greet", "x".repeat(100));
  await t.admin("GET", "/health", undefined, { recordHeaders: ["content-length"] });
  await t.admin("GET", "/openapi", undefined, { compare: "status-only" });
  await t.admin("GET", "/deployments/dp_1aaaaaaaaaaaaaaaaaaaaaa");
  await t.admin("DELETE", "/deployments/dp_1aaaaaaaaaaaaaaaaaaaaaa");
  await t.admin("GET", "/nope");
  await t.admin("GET", "/invocations/inv_1hgbZ622b8d23cDtkaBIBxj15eXBQdlA9u");
  await t.admin("PATCH", `/invocations/${UNKNOWN}/cancel`);
  await t.admin("DELETE", `/invocations/${UNKNOWN}`);
  await t.admin("PATCH", `/invocations/${f.invocationId}/purge`);
  await t.get(`/restate/invocation/${f.invocationId}/output`);
}

it("explore", async () => {
  const { stet: s, restate: r } = await diff.records(scenario);
  writeFileSync("/tmp/diffx/stet.json", JSON.stringify(s, null, 1));
  writeFileSync("/tmp/diffx/restate.json", JSON.stringify(r, null, 1));
}, 120_000);
