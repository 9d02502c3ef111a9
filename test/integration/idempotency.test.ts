import * as restate from "@restatedev/restate-sdk";
import { describe, expect, it } from "vitest";
import { useStetWithServices } from "../helpers/stet-with-services.js";

const setup = useStetWithServices();

let executions = 0;
const payments = restate.service({
  name: "Payments",
  handlers: {
    pay: async (ctx: restate.Context, amount: number) => {
      await ctx.run("charge", () => void executions++);
      await ctx.sleep(50);
      return `charged ${amount}`;
    },
  },
});

describe("idempotency keys", () => {
  it("runs a request made 10 times concurrently with one key once, and every caller gets the result", async () => {
    const stet = await setup([payments]);
    executions = 0;
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => stet.call("/Payments/pay", 42, { "idempotency-key": "order-1" })),
    );
    const bodies = await Promise.all(responses.map((r) => r.json()));
    expect(bodies).toEqual(Array.from({ length: 10 }, () => "charged 42"));
    expect(new Set(responses.map((r) => r.headers.get("x-restate-id"))).size).toBe(1);
    expect(executions).toBe(1);

    // A later call with the same key gets the stored result; another key runs anew.
    expect(await (await stet.call("/Payments/pay", 42, { "idempotency-key": "order-1" })).json()).toBe("charged 42");
    expect(executions).toBe(1);
    expect(await (await stet.call("/Payments/pay", 7, { "idempotency-key": "order-2" })).json()).toBe("charged 7");
    expect(executions).toBe(2);
  });

  it("answers a repeated send with PreviouslyAccepted and serves attach by idempotency key", async () => {
    const stet = await setup([payments]);
    const first = (await (await stet.call("/Payments/pay/send", 5, { "idempotency-key": "k" })).json()) as Record<string, string>;
    const second = (await (await stet.call("/Payments/pay/send", 5, { "idempotency-key": "k" })).json()) as Record<string, string>;
    expect(first.status).toBe("Accepted");
    expect(second).toEqual({ invocationId: first.invocationId, status: "PreviouslyAccepted" });
    const attached = await fetch(`${stet.node.ingressUrl}/restate/invocation/Payments/pay/k/attach`);
    expect(attached.status).toBe(200);
    expect(await attached.json()).toBe("charged 5");
  });
});
