import { beforeEach, describe, expect, it } from "vitest";
import type { ServiceManifest } from "../../../protocol/manifest.js";
import { registryViews, type RegistryViews } from "../../../server/registry-views.js";
import type { DeploymentRegistry } from "../../../server/registry/index.js";
import { openSqliteRegistry } from "../../helpers/registry.js";
import { discovered } from "./registry/registry-fixtures.js";

// Where the invoker and the partitions find a pinned invocation's handler: on the deployment it is pinned
// to, with that deployment's options, while a newer deployment serves new invocations.

const greeter = (inactivityTimeout: number, retryPolicyMaxAttempts: number, handlers = ["greet"]): ServiceManifest => ({
  name: "Greeter",
  ty: "SERVICE",
  handlers: handlers.map((name) => ({ name, inactivityTimeout, retryPolicyMaxAttempts })),
});

let registry: DeploymentRegistry;
let views: RegistryViews;
let v1: string;
let v2: string;

beforeEach(async () => {
  registry = (await openSqliteRegistry()).registry;
  views = registryViews(registry);
  v1 = (await registry.register(discovered("http://127.0.0.1:9081", [greeter(1_000, 3)]))).deployment.id;
  v2 = (await registry.register(discovered("http://127.0.0.1:9082", [greeter(2_000, 5)]))).deployment.id;
});

describe("registry views of a pinned invocation", () => {
  it("resolve the handler on the deployment pinned to, with its options; unpinned on the latest", () => {
    expect(views.resolveTarget("Greeter", "greet")).toMatchObject({ target: { id: v2, uri: "http://127.0.0.1:9082/" }, inactivityTimeoutMs: 2_000 });
    expect(views.resolveTarget("Greeter", "greet", v1)).toMatchObject({ target: { id: v1, uri: "http://127.0.0.1:9081/" }, inactivityTimeoutMs: 1_000 });
    expect(views.resolve("Greeter", "greet")?.maxAttempts).toBe(5);
    expect(views.resolve("Greeter", "greet", v1)?.maxAttempts).toBe(3);
  });

  it("find no target once the deployment pinned to is removed, and the latest retry policy for the partition", async () => {
    await registry.removeDeployment(v1, { force: true });
    expect(views.resolveTarget("Greeter", "greet", v1)).toBeUndefined();
    expect(views.resolveTarget("Greeter", "greet")?.target.id).toBe(v2);
    expect(views.resolve("Greeter", "greet", v1)?.maxAttempts).toBe(5);
  });

  it("still send a pinned attempt to its deployment when that no longer declares the handler, with the default options", async () => {
    await registry.updateDeployment(v1, discovered("http://127.0.0.1:9081", [greeter(1_000, 3, ["other"])]), { overwrite: true });
    // Restate's defaults (60 s inactivity timeout), not v2's options.
    expect(views.resolveTarget("Greeter", "greet", v1)).toMatchObject({ target: { id: v1 }, inactivityTimeoutMs: 60_000 });
  });
});
