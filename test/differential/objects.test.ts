import { describe, it } from "vitest";
import { differential } from "./harness.js";
import { caller, counter, greeter } from "./services.js";

// Virtual objects (state per key, keys in paths) and calls between services and objects: the same
// requests against stet and restate-server 1.7, equal records.
const diff = differential([counter, caller, greeter]);

describe("virtual objects", () => {
  it("keep state per key; shared handlers answer GET; clearing all state answers a void 200", () =>
    diff.compare(async (t) => {
      const a = `a-${t.tag}`;
      const b = `b-${t.tag}`;
      await t.call(`/DiffCounter/${a}/add`, 1);
      await t.call(`/DiffCounter/${a}/add`, 2);
      await t.call(`/DiffCounter/${b}/add`, 5);
      await t.call(`/DiffCounter/${a}/get`);
      await t.get(`/DiffCounter/${a}/get`);
      await t.call(`/DiffCounter/${b}/get`);
      // Void: 200, no content-type, empty body.
      await t.call(`/DiffCounter/${b}/clear`);
      await t.call(`/DiffCounter/${b}/get`);
    }));

  it("read the key from the path: percent-decoded, the empty key is a key", () =>
    diff.compare(async (t) => {
      // No key: 400 bad path. An unknown handler: 404.
      await t.call(`/DiffCounter/add`, 1);
      await t.call(`/DiffCounter/k-${t.tag}/nope`, 1);
      await t.call(`/DiffCounter/k-${t.tag}/add/send`, 1);
      await t.call(`/DiffCounter/a%2Fb/keyOf`);
      await t.call(`/DiffCounter/%20/keyOf`);
      await t.call(`/DiffCounter//keyOf`);
    }));
});

describe("object state from the admin API", () => {
  it("POST /services/{s}/state replaces a key's state (bytes or strings); a plain or unknown service is refused", () =>
    diff.compare(async (t) => {
      const k = `s-${t.tag}`;
      await t.call(`/DiffCounter/${k}/add`, 5);
      await t.admin("POST", "/services/DiffCounter/state", { object_key: k, new_state: { count: [52, 50] } });
      // Applied asynchronously by both: polled.
      await t.callUntil(`/DiffCounter/${k}/get`, (o) => o.json === 42);
      await t.admin("POST", "/services/DiffCounter/state", { object_key: k, new_state: { count: "7" } });
      await t.callUntil(`/DiffCounter/${k}/get`, (o) => o.json === 7);
      await t.admin("POST", "/services/DiffCounter/state", { object_key: k, version: "not-the-version", new_state: {} });
      await t.call(`/DiffCounter/${k}/add`, 1);
      await t.admin("POST", "/services/DiffGreeter/state", { object_key: k, new_state: { x: [1] } });
      await t.admin("POST", "/services/DiffNoSuchService/state", { object_key: k, new_state: { x: [1] } });
      await t.admin("POST", "/services/DiffNoSuchService/state", { object_key: k, new_state: {} });
    }));
});

describe("calls between services", () => {
  it("return the callee's result; its terminal errors pass through or are caught", () =>
    diff.compare(async (t) => {
      await t.call(`/DiffCaller/greetVia`, "Ada");
      // The callee's 409 and message reach the ingress caller.
      await t.call(`/DiffCaller/failVia`);
      await t.call(`/DiffCaller/catchVia`);
      await t.call(`/DiffCaller/addVia`, `c-${t.tag}`);
      // A one-way send from a handler has an invocation id at once.
      await t.call(`/DiffCaller/sendVia`, `c-${t.tag}`);
      // The object got both: 7 from the call, then 1 from the send (which runs on its own: polled).
      await t.callUntil(`/DiffCounter/c-${t.tag}/get`, (o) => o.json === 8);
    }));
});
