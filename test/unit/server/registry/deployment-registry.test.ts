import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { discovered } from "./registry-fixtures.js";
import type { ServiceManifest } from "../../../../protocol/manifest.js";
import { sqliteRegistryFile } from "../../../helpers/registry.js";

let file: ReturnType<typeof sqliteRegistryFile>;
let clock: number;

beforeEach(() => {
  file = sqliteRegistryFile({ now: () => clock });
  clock = 1_700_000_000_000;
});

afterEach(() => file.remove());

const svc = (name: string, ty: ServiceManifest["ty"], handlers: ServiceManifest["handlers"], extra: Partial<ServiceManifest> = {}): ServiceManifest => ({
  name,
  ty,
  handlers,
  ...extra,
});


const greeter = svc("Greeter", "SERVICE", [{ name: "greet" }]);
const counter = svc("Counter", "VIRTUAL_OBJECT", [{ name: "add" }, { name: "get", ty: "SHARED" }]);

describe("DeploymentRegistry", () => {
  it("registers a deployment and serves its services at revision 1", async () => {
    const { registry } = await file.open();
    const result = await registry.register(discovered("http://127.0.0.1:9080", [greeter, counter]), { additionalHeaders: { "x-key": "k" } });

    expect(result.outcome).toBe("created");
    const d = result.deployment;
    expect(d.id).toMatch(/^dp_1[0-9a-zA-Z]{22}$/);
    expect(d.uri).toBe("http://127.0.0.1:9080/");
    expect(d.createdAt).toBe(clock);
    expect(d.additionalHeaders).toEqual({ "x-key": "k" });
    expect(d.services.map((s) => [s.name, s.revision, s.deploymentId])).toEqual([
      ["Greeter", 1, d.id],
      ["Counter", 1, d.id],
    ]);
    expect(registry.listDeployments().map((x) => x.id)).toEqual([d.id]);
    expect(registry.getDeployment(d.id)).toEqual(d);
    expect(registry.listServices().map((s) => s.name)).toEqual(["Counter", "Greeter"]);
    expect(registry.getService("Counter")?.ty).toBe("VIRTUAL_OBJECT");
    expect(registry.getHandlers("Counter")?.map((h) => [h.handlerName, h.handlerType])).toEqual([
      ["add", "EXCLUSIVE"],
      ["get", "SHARED"],
    ]);
    expect(registry.getService("Nope")).toBeUndefined();
    expect(registry.getHandlers("Nope")).toBeUndefined();
  });

  it("bumps the revision when another deployment provides the same service, and routes to the newest", async () => {
    const { registry } = await file.open();
    const first = (await registry.register(discovered("http://a:9080/", [greeter, counter]))).deployment;
    clock += 1000;
    const second = (await registry.register(discovered("http://b:9080/", [svc("Greeter", "SERVICE", [{ name: "greet" }, { name: "wave" }])]))).deployment;

    expect(second.services[0]!.revision).toBe(2);
    expect(registry.getService("Greeter")).toMatchObject({ revision: 2, deploymentId: second.id });
    expect(registry.getService("Counter")).toMatchObject({ revision: 1, deploymentId: first.id });
    expect(registry.resolveHandler("Greeter", "wave")?.deployment.uri).toBe("http://b:9080/");
    // The old deployment keeps its own revision of the service.
    expect(registry.getDeployment(first.id)!.services.find((s) => s.name === "Greeter")!.revision).toBe(1);
  });

  it("returns the stored deployment unchanged when the same uri is registered again without force", async () => {
    const { registry } = await file.open();
    const first = (await registry.register(discovered("http://a:9080", [greeter]))).deployment;
    clock += 1000;
    const again = await registry.register(discovered("http://a:9080/", [greeter, counter]));

    expect(again.outcome).toBe("unchanged");
    expect(again.deployment).toEqual(first);
    expect(registry.getService("Counter")).toBeUndefined();
    expect(registry.listDeployments()).toHaveLength(1);
  });

  it("overwrites the deployment in place with force: same id, new revisions, dropped services gone", async () => {
    const { registry } = await file.open();
    const first = (await registry.register(discovered("http://a:9080", [greeter, counter]))).deployment;
    clock += 1000;
    const forced = await registry.register(discovered("http://a:9080", [svc("Greeter", "VIRTUAL_OBJECT", [{ name: "greet" }])]), { force: true });

    expect(forced.outcome).toBe("overwritten");
    expect(forced.deployment.id).toBe(first.id);
    expect(forced.deployment.createdAt).toBe(clock);
    expect(registry.getService("Greeter")).toMatchObject({ revision: 2, ty: "VIRTUAL_OBJECT" });
    expect(registry.getService("Counter")).toBeUndefined();
    expect(registry.resolveHandler("Counter", "add")).toBeNull();
    expect(registry.listDeployments()).toHaveLength(1);
  });

  it("rejects a service type change without breaking or force, and stores nothing", async () => {
    const { registry } = await file.open();
    await registry.register(discovered("http://a:9080", [counter]));
    const change = registry.register(discovered("http://b:9080", [svc("Counter", "SERVICE", [{ name: "add" }]), greeter]));

    await expect(change).rejects.toThrowError(expect.objectContaining({ code: "STET_SERVICE_TYPE_CHANGED", status: 409, restateCode: "META0006" }));
    expect(registry.listDeployments()).toHaveLength(1);
    expect(registry.getService("Greeter")).toBeUndefined();

    const allowed = await registry.register(discovered("http://b:9080", [svc("Counter", "SERVICE", [{ name: "add" }])]), { breaking: true });
    expect(allowed.outcome).toBe("created");
    expect(registry.getService("Counter")).toMatchObject({ ty: "SERVICE", revision: 2 });
  });

  it("computes but does not store a dry run", async () => {
    const { registry } = await file.open();
    const dry = await registry.register(discovered("http://a:9080", [greeter]), { dryRun: true });
    expect(dry.outcome).toBe("created");
    expect(dry.deployment.services[0]!.revision).toBe(1);
    expect(registry.listDeployments()).toEqual([]);
    expect(registry.getService("Greeter")).toBeUndefined();
  });

  it("removes a deployment only with force; the service falls back to the previous revision", async () => {
    const { registry } = await file.open();
    const first = (await registry.register(discovered("http://a:9080", [greeter]))).deployment;
    const second = (await registry.register(discovered("http://b:9080", [greeter]))).deployment;

    await expect(registry.removeDeployment(second.id)).rejects.toThrowError(expect.objectContaining({ code: "STET_DEPLOYMENT_DELETE_NOT_FORCED", status: 501 }));
    expect(registry.getDeployment(second.id)).toBeDefined();

    await registry.removeDeployment(second.id, { force: true });
    expect(registry.getDeployment(second.id)).toBeUndefined();
    expect(registry.getService("Greeter")).toMatchObject({ revision: 1, deploymentId: first.id });
    expect(registry.resolveHandler("Greeter", "greet")?.deployment.id).toBe(first.id);

    await registry.removeDeployment(first.id, { force: true });
    expect(registry.getService("Greeter")).toBeUndefined();
    await expect(registry.removeDeployment(first.id, { force: true })).rejects.toThrowError(
      expect.objectContaining({ code: "STET_DEPLOYMENT_NOT_FOUND", status: 404 }),
    );
  });

  it("updates a deployment's connection in place; overwrite replaces its services (kept ones keep their revision)", async () => {
    const { registry } = await file.open();
    await registry.register(discovered("http://old:9080", [counter]));
    const d = (await registry.register(discovered("http://a:9080", [greeter]), { additionalHeaders: { "x-a": "1" }, metadata: { team: "t" } })).deployment;
    clock += 1_000;

    const moved = await registry.updateDeployment(d.id, discovered("http://b:9080", [counter], { httpVersion: 1, protocolMode: "REQUEST_RESPONSE" }));
    expect(moved).toMatchObject({ id: d.id, uri: "http://b:9080/", httpVersion: 1, protocolMode: "REQUEST_RESPONSE", createdAt: d.createdAt });
    expect(moved.additionalHeaders).toEqual({ "x-a": "1" });
    expect(moved.metadata).toEqual({ team: "t" });
    expect(moved.services.map((s) => s.name)).toEqual(["Greeter"]);
    expect(registry.getDeploymentByUri("http://b:9080")?.id).toBe(d.id);
    expect(registry.resolveHandler("Greeter", "greet")?.deployment.uri).toBe("http://b:9080/");

    const dry = await registry.updateDeployment(d.id, discovered("http://b:9080", [greeter, counter]), { overwrite: true, dryRun: true });
    expect(dry.services.map((s) => [s.name, s.revision])).toEqual([["Greeter", 1], ["Counter", 2]]);
    expect(registry.getService("Counter")).toMatchObject({ revision: 1 });

    const replaced = await registry.updateDeployment(d.id, discovered("http://b:9080", [greeter, counter]), { overwrite: true, additionalHeaders: {} });
    expect(replaced.services.map((s) => [s.name, s.revision])).toEqual([["Greeter", 1], ["Counter", 2]]);
    expect(replaced.additionalHeaders).toEqual({});
    expect(registry.getService("Counter")).toMatchObject({ revision: 2, deploymentId: d.id });

    await expect(registry.updateDeployment(d.id, discovered("http://old:9080", [greeter]))).rejects.toThrowError(
      expect.objectContaining({ code: "STET_DEPLOYMENT_URI_TAKEN", status: 409 }),
    );
    await expect(registry.updateDeployment("dp_11KiDRf4oezxQ100obKQiZj", discovered("http://c:9080", [greeter]))).rejects.toThrowError(
      expect.objectContaining({ code: "STET_DEPLOYMENT_NOT_FOUND", status: 404 }),
    );
  });

  it("resolves handlers with types, visibility and the deployment target", async () => {
    const { registry } = await file.open();
    const wf = svc("Signup", "WORKFLOW", [{ name: "run", ty: "WORKFLOW" }, { name: "status" }, { name: "internal", ingressPrivate: true }]);
    const hidden = svc("Hidden", "SERVICE", [{ name: "x" }], { ingressPrivate: true });
    const d = (await registry.register(discovered("http://a:9080/base/", [wf, hidden], { protocolMode: "REQUEST_RESPONSE", httpVersion: 1, minProtocolVersion: 6 }), {
      additionalHeaders: { authorization: "Bearer t" },
    })).deployment;

    expect(registry.resolveHandler("Signup", "run")).toMatchObject({
      serviceName: "Signup",
      serviceType: "WORKFLOW",
      serviceRevision: 1,
      handlerName: "run",
      handlerType: "WORKFLOW",
      public: true,
      deployment: {
        id: d.id,
        uri: "http://a:9080/base/",
        protocolMode: "REQUEST_RESPONSE",
        httpVersion: 1,
        minProtocolVersion: 6,
        maxProtocolVersion: 7,
        additionalHeaders: { authorization: "Bearer t" },
      },
    });
    expect(registry.resolveHandler("Signup", "status")?.handlerType).toBe("SHARED");
    expect(registry.resolveHandler("Signup", "internal")?.public).toBe(false);
    expect(registry.resolveHandler("Hidden", "x")).toMatchObject({ public: false, handlerType: undefined });
    expect(registry.resolveHandler("Signup", "nope")).toBeNull();
    expect(registry.resolveHandler("Nope", "run")).toBeNull();
    // Cached views are shared: they must not be mutable by a caller.
    expect(Object.isFrozen(registry.resolveHandler("Signup", "run"))).toBe(true);
  });

  it("resolves from memory: the store is not asked on the hot path", async () => {
    const { registry, store } = await file.open();
    await registry.register(discovered("http://a:9080", [greeter]));
    const read = vi.spyOn(store, "read");
    const write = vi.spyOn(store, "write");
    const version = vi.spyOn(store, "version");
    for (let i = 0; i < 100; i++) registry.resolveHandler("Greeter", "greet");
    expect(read).not.toHaveBeenCalled();
    expect(write).not.toHaveBeenCalled();
    expect(version).not.toHaveBeenCalled();
  });

  it("keeps everything across reopening the database file", async () => {
    const first = await file.open();
    const { registry } = first;
    const a = (await registry.register(discovered("http://a:9080", [greeter, counter]), { additionalHeaders: { "x-key": "k" }, metadata: { team: "t" } })).deployment;
    clock += 1000;
    const b = (await registry.register(discovered("http://b:9080", [greeter], { sdkVersion: undefined }))).deployment;
    first.close();

    const reopened = (await file.open()).registry;
    expect(reopened.listDeployments()).toEqual([a, b]);
    expect(reopened.getDeployment(b.id)?.sdkVersion).toBeUndefined();
    expect(reopened.getService("Greeter")).toMatchObject({ revision: 2, deploymentId: b.id });
    expect(reopened.resolveHandler("Counter", "get")).toMatchObject({ handlerType: "SHARED", deployment: { id: a.id, additionalHeaders: { "x-key": "k" } } });
    // A third registration continues the revision sequence after the reopen.
    expect((await reopened.register(discovered("http://c:9080", [greeter]))).deployment.services[0]!.revision).toBe(3);
  });
});
