import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { discovered } from "./registry-fixtures.js";
import type { ServiceManifest } from "../../../../protocol/manifest.js";
import { parseAdminDuration, parseModifyServiceBody } from "../../../../server/admin/service-routes.js";
import { effectiveHandlerOptions, effectiveServiceOptions } from "../../../../server/registry/index.js";
import { sqliteRegistryFile } from "../../../helpers/registry.js";

let file: ReturnType<typeof sqliteRegistryFile>;

beforeEach(() => {
  file = sqliteRegistryFile();
});

afterEach(() => file.remove());


const greeter: ServiceManifest = { name: "Greeter", ty: "SERVICE", handlers: [{ name: "greet" }, { name: "fast", journalRetention: 1000 }], abortTimeout: 7000 };
const flow: ServiceManifest = { name: "Flow", ty: "WORKFLOW", handlers: [{ name: "run", ty: "WORKFLOW" }, { name: "peek", ty: "SHARED" }] };

describe("DeploymentRegistry.modifyService", () => {
  it("folds overrides into the live revision's effective options and ingress visibility", async () => {
    const { registry } = await file.open();
    await registry.register(discovered("http://127.0.0.1:9080", [greeter, flow]));

    const updated = await registry.modifyService("Greeter", { journalRetentionMs: 3_600_000, public: false, inactivityTimeoutMs: 5000 });
    expect(updated.revision).toBe(1);
    const options = effectiveServiceOptions(updated.definition, "BIDI_STREAM");
    expect(options.journalRetentionMs).toBe(3_600_000);
    expect(options.inactivityTimeoutMs).toBe(5000);
    // Untouched settings keep the manifest's value.
    expect(options.abortTimeoutMs).toBe(7000);

    const greet = registry.resolveHandler("Greeter", "greet")!;
    expect(greet.public).toBe(false);
    expect(effectiveHandlerOptions(greet).journalRetentionMs).toBe(3_600_000);
    // A handler's own setting still wins over the service's.
    expect(effectiveHandlerOptions(registry.resolveHandler("Greeter", "fast")!).journalRetentionMs).toBe(1000);
  });

  it("merges later patches over earlier ones and leaves absent fields unchanged", async () => {
    const { registry } = await file.open();
    await registry.register(discovered("http://127.0.0.1:9080", [greeter]));
    await registry.modifyService("Greeter", { journalRetentionMs: 1000, public: false });
    await registry.modifyService("Greeter", { idempotencyRetentionMs: 2000, public: true });
    expect(registry.getServiceOverrides("Greeter")).toEqual({ journalRetentionMs: 1000, idempotencyRetentionMs: 2000, public: true });
    expect(registry.resolveHandler("Greeter", "greet")!.public).toBe(true);
  });

  it("sets a workflow's completion retention on its run handler", async () => {
    const { registry } = await file.open();
    await registry.register(discovered("http://127.0.0.1:9080", [flow]));
    await registry.modifyService("Flow", { workflowCompletionRetentionMs: 10_800_000 });
    expect(effectiveHandlerOptions(registry.resolveHandler("Flow", "run")!).workflowCompletionRetentionMs).toBe(10_800_000);
  });

  it("applies to later revisions and survives reopening the database", async () => {
    const first = await file.open();
    const { registry } = first;
    await registry.register(discovered("http://127.0.0.1:9080", [greeter]));
    await registry.modifyService("Greeter", { journalRetentionMs: 60_000, public: false });
    await registry.register(discovered("http://127.0.0.1:9081", [greeter]));
    expect(registry.getService("Greeter")!.revision).toBe(2);
    expect(registry.getService("Greeter")!.definition.journalRetention).toBe(60_000);

    first.close();
    const reopened = (await file.open()).registry;
    expect(reopened.getService("Greeter")!.definition.journalRetention).toBe(60_000);
    expect(reopened.resolveHandler("Greeter", "greet")!.public).toBe(false);
  });

  it("forgets the overrides of a service whose last deployment is removed", async () => {
    const { registry } = await file.open();
    const { deployment } = await registry.register(discovered("http://127.0.0.1:9080", [greeter]));
    await registry.modifyService("Greeter", { journalRetentionMs: 60_000 });
    await registry.removeDeployment(deployment.id, { force: true });
    expect(registry.getServiceOverrides("Greeter")).toEqual({});
    await registry.register(discovered("http://127.0.0.1:9080", [greeter]));
    expect(registry.getService("Greeter")!.definition.journalRetention).toBeUndefined();
  });

  it("stores the manifests as discovered: updating a deployment does not write the overrides into them", async () => {
    const { registry, store } = await file.open();
    const { deployment } = await registry.register(discovered("http://127.0.0.1:9080", [greeter]));
    await registry.modifyService("Greeter", { journalRetentionMs: 60_000, public: false });
    await registry.updateDeployment(deployment.id, discovered("http://127.0.0.1:9081", [greeter]));
    expect(registry.getService("Greeter")!.definition).toMatchObject({ journalRetention: 60_000, ingressPrivate: true });
    expect((await store.read()).deployments[0]!.services[0]!.definition).toEqual(greeter);
  });

  it("refuses an unknown service with STET_SERVICE_NOT_FOUND", async () => {
    const { registry } = await file.open();
    await expect(registry.modifyService("Nope", { public: false })).rejects.toThrow(expect.objectContaining({ code: "STET_SERVICE_NOT_FOUND", status: 404 }));
  });
});

describe("parseAdminDuration", () => {
  it.each([
    ["5 hours", 5 * 3_600_000],
    ["1h 30m", 5_400_000],
    ["1h30m", 5_400_000],
    ["1 day, 2 hours", 93_600_000],
    ["90s", 90_000],
    ["500ms", 500],
    ["1.5h", 5_400_000],
    ["2 weeks", 14 * 86_400_000],
    ["PT45M", 2_700_000],
    ["P1W", 7 * 86_400_000],
    ["P1DT2H", 93_600_000],
    ["PT0.5S", 500],
  ])("%s → %d ms", (text, ms) => {
    expect(parseAdminDuration(text)).toBe(ms);
  });

  it.each(["", "bogus", "5", "-1h", "1 month", "P", "PT", "1h x", "h"])("refuses %j", (text) => {
    expect(parseAdminDuration(text)).toBeUndefined();
  });
});

describe("parseModifyServiceBody", () => {
  it("reads set fields and skips null ones", () => {
    expect(parseModifyServiceBody({ public: false, journal_retention: "1h", abort_timeout: null, unknown: 1 })).toEqual({
      public: false,
      journalRetentionMs: 3_600_000,
    });
  });

  it("names the invalid field", () => {
    expect(() => parseModifyServiceBody({ public: "false" })).toThrow(/'public'/);
    expect(() => parseModifyServiceBody({ idempotency_retention: 5 })).toThrow(/'idempotency_retention'/);
    expect(() => parseModifyServiceBody([])).toThrow(/expected a JSON object/);
  });
});
