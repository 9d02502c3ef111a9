import { describe, expect, it } from "vitest";
import { withoutApiVersion } from "../../../../server/admin/admin-plugin.js";

describe("withoutApiVersion", () => {
  it.each([
    ["/v2/deployments", "/deployments"],
    ["/v4/services/Greeter/handlers?x=1", "/services/Greeter/handlers?x=1"],
    ["/v3", "/"],
    ["/v3?x=1", "/?x=1"],
    ["/deployments", "/deployments"],
    ["/v1/deployments", "/v1/deployments"],
    ["/v5/deployments", "/v5/deployments"],
    ["/v2health", "/v2health"],
    ["/services/v2/x", "/services/v2/x"],
  ])("%s → %s", (url, expected) => {
    expect(withoutApiVersion(url)).toBe(expected);
  });
});
