import { describe, expect, it } from "vitest";
import { ingressRouteKind, serviceAndHandler } from "../../../../server/metrics/labels.js";

describe("serviceAndHandler", () => {
  it.each([
    ["Greeter/greet", "Greeter", "greet"],
    ["Counter/my-key/add", "Counter", "add"],
    // A key may hold slashes (it is percent-decoded from the URL): the handler is the last segment.
    ["Counter/a/b/c/add", "Counter", "add"],
    ["Counter//add", "Counter", "add"],
    ["?", "?", ""],
  ])("%s → %s, %s", (target, service, handler) => {
    expect(serviceAndHandler(target)).toEqual({ service, handler });
  });
});

describe("ingressRouteKind", () => {
  it.each([
    ["POST", "/Greeter/greet", "call"],
    ["GET", "/Greeter/greet", "call"],
    ["POST", "/Counter/key/add", "call"],
    ["POST", "/Greeter/greet/send", "send"],
    ["POST", "/Greeter/greet/send?delay=10s", "send"],
    ["POST", "/Counter/key/add/send", "send"],
    ["POST", "/Greeter/greet/", "call"],
    // Two segments: a plain service's handler named `send` is a call.
    ["POST", "/Greeter/send", "call"],
    ["GET", "/restate/health", "health"],
    ["GET", "/restate/invocation/inv_1abc/attach", "attach"],
    ["GET", "/restate/invocation/inv_1abc/output", "output"],
    ["GET", "/restate/invocation/Greeter/greet/my-key/output", "output"],
    ["GET", "/restate/workflow/Signup/user-1/attach", "attach"],
    ["POST", "/restate/awakeables/sign_1abc/resolve", "awakeable"],
    ["POST", "/restate/a/sign_1abc/reject", "awakeable"],
    ["OPTIONS", "/Greeter/greet", "preflight"],
    ["GET", "/restate/nothing", "other"],
    ["GET", "/restate/health/more", "other"],
    ["GET", "/restate/invocation/inv_1abc/bogus", "other"],
    ["GET", "/", "other"],
    ["GET", "/Greeter", "other"],
    ["GET", "//x", "other"],
  ])("%s %s → %s", (method, url, kind) => {
    expect(ingressRouteKind(method, url)).toBe(kind);
  });
});
