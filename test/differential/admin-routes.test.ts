import { describe, it } from "vitest";
import { differential } from "./harness.js";
import { greeter } from "./services.js";

// The rest of the admin API (subscriptions, deployment update and delete, batch invocation operations,
// OpenAPI documents): the same requests against stet and restate-server 1.7, equal records.
const diff = differential([greeter]);

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
