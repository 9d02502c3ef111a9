import * as restate from "@restatedev/restate-sdk";
import { describe, expect, it } from "vitest";
import { useStetWithServices } from "../helpers/stet-with-services.js";

const setup = useStetWithServices();

let runs = 0;
const echo = restate.service({
  name: "Again",
  handlers: {
    echo: async (ctx: restate.Context, s: string) => {
      await ctx.run("count", () => void runs++);
      return `${s} #${ctx.request().headers.get("x-tag") ?? "?"}`;
    },
    slow: async (ctx: restate.Context) => {
      await ctx.sleep(60_000);
      return "late";
    },
  },
});

const restart = (adminUrl: string, id: string, query = "") =>
  fetch(`${adminUrl}/invocations/${id}/restart-as-new${query}`, { method: "PATCH" });

describe("PATCH /invocations/{id}/restart-as-new", () => {
  it("runs a completed invocation again as a new one with the same input and headers", async () => {
    const stet = await setup([echo]);
    runs = 0;
    const first = await stet.call("/Again/echo", "hello", { "x-tag": "t1" });
    const id = first.headers.get("x-restate-id")!;
    expect(await first.json()).toBe("hello #t1");

    const res = await restart(stet.node.adminUrl, id);
    expect(res.status).toBe(200);
    const { new_invocation_id: newId } = (await res.json()) as { new_invocation_id: string };
    expect(newId).toMatch(/^inv_1/);
    expect(newId).not.toBe(id);
    const attached = await fetch(`${stet.node.ingressUrl}/restate/invocation/${newId}/attach`);
    expect(await attached.json()).toBe("hello #t1");
    expect(runs).toBe(2);
  });

  it("refuses unknown, unfinished, and journal-prefix restarts", async () => {
    const stet = await setup([echo]);
    expect((await restart(stet.node.adminUrl, "inv_1gdJBtdVEcM942bjcDmb1c1khoaJe11Hbz")).status).toBe(404);
    const sent = (await (await stet.call("/Again/slow/send")).json()) as { invocationId: string };
    const running = await restart(stet.node.adminUrl, sent.invocationId);
    expect(running.status).toBe(409);
    expect(((await running.json()) as { message: string }).message).toContain("not completed");
    const done = await stet.call("/Again/echo", "x");
    const prefix = await restart(stet.node.adminUrl, done.headers.get("x-restate-id")!, "?from=2");
    expect(prefix.status).toBe(422);
  });
});
