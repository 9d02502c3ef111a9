import { join } from "node:path";
import * as restate from "@restatedev/restate-sdk";
import { afterEach, describe, expect, it } from "vitest";
import { startEndpoint } from "../helpers/sdk-endpoint.js";
import { useStetWithServices } from "../helpers/stet-with-services.js";
import { startTestStet } from "../helpers/stet.js";
import { tempDir } from "../helpers/temp-dir.js";

const setup = useStetWithServices();

const patcher = restate.service({
  name: "Patcher",
  handlers: { hi: async () => "hi" },
});

async function patch(adminUrl: string, service: string, body: unknown): Promise<Response> {
  return fetch(`${adminUrl}/services/${service}`, {
    method: "PATCH",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

const getService = async (adminUrl: string, service: string) =>
  (await (await fetch(`${adminUrl}/services/${service}`)).json()) as Record<string, unknown>;

describe("PATCH /services/{service}", () => {
  it("answers the service with the new settings, and GET shows them", async () => {
    const stet = await setup([patcher]);
    const res = await patch(stet.node.adminUrl, "Patcher", { journal_retention: "2h 30m", abort_timeout: "PT5M" });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ name: "Patcher", journal_retention: "2h 30m", abort_timeout: "5m", idempotency_retention: "1d" });
    expect(await getService(stet.node.adminUrl, "Patcher")).toEqual(body);
    // Also under a versioned prefix.
    expect((await fetch(`${stet.node.adminUrl}/v4/services/Patcher`, { method: "PATCH", headers: { "content-type": "application/json" }, body: "{}" })).status).toBe(200);
  });

  it("expires new invocations after the patched retention", async () => {
    const stet = await setup([patcher], { expiryIntervalMs: 50 });
    // stet keeps a finished invocation for the longer of the journal and idempotency retentions, so both go down.
    expect((await patch(stet.node.adminUrl, "Patcher", { journal_retention: "300ms", idempotency_retention: "300ms" })).status).toBe(200);
    const res = await stet.call("/Patcher/hi");
    expect(res.status).toBe(200);
    const id = res.headers.get("x-restate-id")!;
    const output = async () => (await fetch(`${stet.node.ingressUrl}/restate/invocation/${id}/output`)).status;
    expect(await output()).toBe(200);
    for (let i = 0; i < 150 && (await output()) !== 404; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await output()).toBe(404);
  });

  it("public=false makes ingress refuse the service; public=true opens it again", async () => {
    const stet = await setup([patcher]);
    const closed = await patch(stet.node.adminUrl, "Patcher", { public: false });
    expect(((await closed.json()) as { public: boolean }).public).toBe(false);
    expect((await stet.call("/Patcher/hi")).status).toBe(400);
    await patch(stet.node.adminUrl, "Patcher", { public: true });
    expect((await stet.call("/Patcher/hi")).status).toBe(200);
  });

  it("refuses an invalid body with 400 naming the field, and an unknown service with 404", async () => {
    const stet = await setup([patcher]);
    for (const body of [{ journal_retention: "bogus" }, { journal_retention: 5 }, { public: "false" }, { workflow_completion_retention: "1h" }]) {
      const res = await patch(stet.node.adminUrl, "Patcher", body);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { message: string }).message).not.toBe("");
    }
    const bad = (await (await patch(stet.node.adminUrl, "Patcher", { inactivity_timeout: "soon" })).json()) as { message: string };
    expect(bad.message).toContain("inactivity_timeout");
    const unknown = await patch(stet.node.adminUrl, "NoSuchService", { public: false });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { message: string }).message).toContain("NoSuchService");
    // Nothing was changed by the refused requests.
    expect(await getService(stet.node.adminUrl, "Patcher")).toMatchObject({ public: true, journal_retention: "1d" });
  });

  it("PATCH is among the allowed methods of /services/{service}", async () => {
    const stet = await setup([patcher]);
    const res = await fetch(`${stet.node.adminUrl}/services/Patcher`, { method: "PUT" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD, PATCH");
  });
});

describe("overrides across a restart", () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it("keeps the patched settings when stet starts again on the same data folder", async () => {
    const endpoint = await startEndpoint([patcher], { http: 2 });
    cleanups.push(() => endpoint.close());
    const dir = tempDir();
    cleanups.push(() => dir.remove());
    const dataDir = join(dir.path, "data");

    const first = await startTestStet({ dataDir });
    await first.register(endpoint.url);
    expect((await patch(first.node.adminUrl, "Patcher", { public: false, idempotency_retention: "45m" })).status).toBe(200);
    await first.close();

    const second = await startTestStet({ dataDir });
    cleanups.push(() => second.close());
    expect(await getService(second.node.adminUrl, "Patcher")).toMatchObject({ public: false, idempotency_retention: "45m" });
    expect((await second.call("/Patcher/hi")).status).toBe(400);
  });
});
