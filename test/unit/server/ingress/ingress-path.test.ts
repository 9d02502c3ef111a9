import { describe, expect, it } from "vitest";
import {
  BAD_RESTATE_PATH,
  BAD_SERVICE_PATH,
  parseIngressPath,
  pathSegments,
  readHandlerCall,
  scopeProblem,
} from "../../../../server/ingress/ingress-path.js";

const ID = "inv_1hgbZ622b8d23cDtkaBIBxj15eXBQdlA9u";

describe("pathSegments", () => {
  it("drops empty segments at both ends and keeps those inside", () => {
    expect(pathSegments("/restate/health")).toEqual(["restate", "health"]);
    expect(pathSegments("//restate/health")).toEqual(["restate", "health"]);
    expect(pathSegments("///restate/health//")).toEqual(["restate", "health"]);
    expect(pathSegments("/Obj//add/")).toEqual(["Obj", "", "add"]);
    expect(pathSegments("/")).toEqual([]);
    expect(pathSegments("//")).toEqual([]);
    expect(pathSegments("")).toEqual([]);
  });
});

describe("parseIngressPath", () => {
  it("reads health with extra slashes at either end, as Restate 1.7 does", () => {
    for (const path of ["/restate/health", "//restate/health", "/restate/health/", "///restate/health//"]) {
      expect(parseIngressPath(path)).toEqual({ kind: "health" });
    }
    // An empty segment inside is a segment: `/restate//health` names nothing.
    expect(parseIngressPath("/restate//health")).toEqual({ kind: "invalid", status: 404, message: "not found" });
  });

  it("answers `bad path` with the trimmed path for fewer than two segments", () => {
    expect(parseIngressPath("/")).toEqual({ kind: "invalid", status: 400, message: "bad path: /" });
    expect(parseIngressPath("//")).toEqual({ kind: "invalid", status: 400, message: "bad path: /" });
    expect(parseIngressPath("//Svc/")).toEqual({ kind: "invalid", status: 400, message: "bad path: /Svc" });
    expect(parseIngressPath("/restate/")).toEqual({ kind: "invalid", status: 400, message: "bad path: /restate" });
    expect(parseIngressPath("/Svc?x=1")).toEqual({ kind: "invalid", status: 400, message: "bad path: /Svc" });
  });

  it("reads classic service paths, keeping service names undecoded and decoding the rest", () => {
    expect(parseIngressPath("//Svc/greet//?q=1")).toEqual({ kind: "service", service: "Svc", rest: ["greet"], route: "classic" });
    expect(parseIngressPath("/Obj/a%2Fb/add/send")).toEqual({ kind: "service", service: "Obj", rest: ["a/b", "add", "send"], route: "classic" });
    expect(parseIngressPath("/Sv%65/h")).toMatchObject({ service: "Sv%65" });
    expect(parseIngressPath("/Obj/%E0%A4%A/add")).toEqual({ kind: "invalid", status: 400, message: BAD_SERVICE_PATH });
  });

  it("reads /restate/call and /restate/send", () => {
    expect(parseIngressPath("/restate/call/Svc/greet")).toEqual({ kind: "service", service: "Svc", rest: ["greet"], route: "call" });
    expect(parseIngressPath("/restate/send/Obj/k%201/add/")).toEqual({ kind: "service", service: "Obj", rest: ["k 1", "add"], route: "send" });
    expect(parseIngressPath("//restate/call/Obj//add")).toEqual({ kind: "service", service: "Obj", rest: ["", "add"], route: "call" });
    expect(parseIngressPath("/restate/call//Svc/greet")).toEqual({ kind: "service", service: "", rest: ["Svc", "greet"], route: "call" });
    for (const path of ["/restate/call", "/restate/send", "/restate/call/Svc", "/restate/send/Svc/"]) {
      expect(parseIngressPath(path)).toEqual({ kind: "invalid", status: 400, message: BAD_RESTATE_PATH });
    }
  });

  it("reads /restate/attach/{id} and /restate/output/{id}, and their body forms without an id", () => {
    expect(parseIngressPath(`/restate/attach/${ID}`)).toEqual({ kind: "invocation", invocationId: ID, action: "attach" });
    expect(parseIngressPath(`//restate/output/${ID}/`)).toEqual({ kind: "invocation", invocationId: ID, action: "output" });
    expect(parseIngressPath("/restate/attach")).toEqual({ kind: "target-body", action: "attach" });
    expect(parseIngressPath("/restate/output/")).toEqual({ kind: "target-body", action: "output" });
    expect(parseIngressPath(`/restate/output/${ID}/extra`)).toEqual({ kind: "invalid", status: 400, message: BAD_RESTATE_PATH });
  });

  it("reads /restate/lookup", () => {
    expect(parseIngressPath("/restate/lookup")).toEqual({ kind: "lookup" });
    expect(parseIngressPath("/restate/lookup/")).toEqual({ kind: "lookup" });
    expect(parseIngressPath("/restate/lookup/x")).toEqual({ kind: "invalid", status: 400, message: BAD_RESTATE_PATH });
  });

  it("reads the older attach/output routes with extra slashes at either end", () => {
    expect(parseIngressPath(`/restate/invocation/${ID}/attach/`)).toEqual({ kind: "invocation", invocationId: ID, action: "attach" });
    expect(parseIngressPath("//restate/invocation/Svc/greet/k1/output")).toEqual({ kind: "idempotent", service: "Svc", parts: ["greet", "k1"], action: "output" });
    expect(parseIngressPath("/restate/invocation/Svc/greet//output")).toEqual({ kind: "idempotent", service: "Svc", parts: ["greet", ""], action: "output" });
    expect(parseIngressPath("/restate/workflow/Wf/k/output//")).toEqual({ kind: "workflow", service: "Wf", key: "k", action: "output" });
    expect(parseIngressPath("/restate/workflow/Wf//output")).toEqual({ kind: "workflow", service: "Wf", key: "", action: "output" });
    expect(parseIngressPath("/restate/a/sign_1x/resolve/")).toEqual({ kind: "awakeable", awakeableId: "sign_1x", action: "resolve" });
  });
});

describe("readHandlerCall", () => {
  it("takes a /send suffix only on the classic route", () => {
    expect(readHandlerCall(["greet", "send"], false)).toEqual({ key: "", handler: "greet", send: true });
    expect(readHandlerCall(["greet", "send"], false, "call")).toBeUndefined();
    expect(readHandlerCall(["greet", "send"], false, "send")).toBeUndefined();
    expect(readHandlerCall(["greet"], false, "send")).toEqual({ key: "", handler: "greet", send: true });
    expect(readHandlerCall(["greet"], false, "call")).toEqual({ key: "", handler: "greet", send: false });
  });

  it("needs the key of an object, which may be empty, and a handler name", () => {
    expect(readHandlerCall(["", "add"], true, "call")).toEqual({ key: "", handler: "add", send: false });
    expect(readHandlerCall(["add"], true, "call")).toBeUndefined();
    expect(readHandlerCall(["", "greet"], false)).toBeUndefined();
    expect(readHandlerCall(["k", ""], true)).toBeUndefined();
  });
});

describe("parseIngressPath on /restate/invocation targets", () => {
  it("leaves targets of one to three segments to the caller, and refuses longer ones", () => {
    expect(parseIngressPath("/restate/invocation/Svc/k/output")).toEqual({ kind: "idempotent", service: "Svc", parts: ["k"], action: "output" });
    expect(parseIngressPath("/restate/invocation/Obj/o/h/k/attach")).toEqual({ kind: "idempotent", service: "Obj", parts: ["o", "h", "k"], action: "attach" });
    expect(parseIngressPath("/restate/invocation/a/b/c/d/e/output")).toEqual({
      kind: "invalid",
      status: 400,
      message: "bad path: /restate/invocation/a/b/c/d/e/output",
    });
  });
});

describe("scoped invocations", () => {
  it("reads /restate/scope/{scope}/{call|send}/… and refuses other shapes", () => {
    expect(parseIngressPath("/restate/scope/s1/call/Svc/greet/")).toEqual({ kind: "scoped", scope: "s1", service: "Svc", rest: ["greet"], route: "call" });
    expect(parseIngressPath("/restate/scope//send/Obj/k/add")).toEqual({ kind: "scoped", scope: "", service: "Obj", rest: ["k", "add"], route: "send" });
    for (const path of ["/restate/scope/s1", "/restate/scope/s1/call/Svc", "/restate/scope/s1/bogus/Svc/greet"]) {
      expect(parseIngressPath(path)).toEqual({ kind: "invalid", status: 400, message: BAD_RESTATE_PATH });
    }
  });

  it("takes scope names of [a-zA-Z0-9_.-] only", () => {
    expect(scopeProblem("tenant-1.a_b")).toBeUndefined();
    expect(scopeProblem("")).toBe("bad scope value: value cannot be empty");
    expect(scopeProblem("a b")).toBe("bad scope value: value contains characters outside the allowed set [a-zA-Z0-9_.-]");
  });
});
