import { describe, it } from "vitest";
import { differential } from "./harness.js";
import { sleeper } from "./services.js";

// Durable timers (`ctx.sleep`) and delayed sends: the same requests against stet and restate-server 1.7,
// equal records. How late a timer fires differs by nature: compared is that it did not fire early.
const diff = differential([sleeper]);

describe("timers", () => {
  it("a sleeping invocation is not ready (470) until its timer fires, then attach and output return its result", () =>
    diff.compare(async (t) => {
      const started = Date.now();
      const sent = await t.call(`/DiffSleeper/nap/send`, 500);
      await t.get(`/restate/invocation/${sent.invocationId}/output`, { label: "output while sleeping" });
      await t.get(`/restate/invocation/${sent.invocationId}/attach`);
      t.note("attach returned after the sleep", Date.now() - started >= 500);
      await t.get(`/restate/invocation/${sent.invocationId}/output`);
      await t.call(`/DiffSleeper/nap`, 50);
    }));
});

describe("delayed sends", () => {
  it("?delay= (friendly or ISO 8601) answers 202 with the execution time; the call runs after the delay", () =>
    diff.compare(async (t) => {
      const started = Date.now();
      const sent = await t.call(`/DiffSleeper/hello/send?delay=500ms`, "later");
      await t.get(`/restate/invocation/${sent.invocationId}/output`, { label: "output before the delay" });
      await t.get(`/restate/invocation/${sent.invocationId}/attach`);
      t.note("attach returned after the delay", Date.now() - started >= 500);
      const iso = await t.call(`/DiffSleeper/hello/send?delay=PT0.1S`, "iso");
      await t.get(`/restate/invocation/${iso.invocationId}/attach`);
    }));

  it("a bad delay, or a delay on a call, answers 400", () =>
    diff.compare(async (t) => {
      // The parser's reasons differ (known-differences.ts): status, code and shape compared.
      await t.call(`/DiffSleeper/hello/send?delay=bogus`, "bad", { compare: "ignore-message" });
      await t.call(`/DiffSleeper/hello/send?delay=`, "empty", { compare: "ignore-message" });
      await t.call(`/DiffSleeper/hello?delay=100ms`, "call");
    }));
});
