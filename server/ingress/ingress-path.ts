export type OutputAction = "attach" | "output";

/**
 * How a handler was named: the classic `/{service}/…/{handler}[/send]`, or Restate 1.7's
 * `/restate/call/…` and `/restate/send/…` (no `/send` suffix there, and their own bad-path message).
 */
export type ServiceRoute = "classic" | "call" | "send";

/** What an ingress path names, once the service's type is known; or why it names nothing. */
export type IngressPath =
  | { readonly kind: "health" }
  /** `/restate/invocation/{id}/{attach|output}` and 1.7's `/restate/{attach|output}/{id}`. */
  | { readonly kind: "invocation"; readonly invocationId: string; readonly action: OutputAction }
  /** `/restate/invocation/{service}/[{key}/]{handler}/{idempotency-key}/{attach|output}`; key presence depends on the service. */
  | { readonly kind: "idempotent"; readonly service: string; readonly parts: readonly string[]; readonly action: OutputAction }
  | { readonly kind: "workflow"; readonly service: string; readonly key: string; readonly action: OutputAction }
  /** `POST /restate/{attach|output}`: the invocation is named by a lookup target in the body. */
  | { readonly kind: "target-body"; readonly action: OutputAction }
  /** `POST /restate/lookup`: the id of the invocation a lookup target in the body names. */
  | { readonly kind: "lookup" }
  | { readonly kind: "awakeable"; readonly awakeableId: string; readonly action: "resolve" | "reject" }
  | { readonly kind: "service"; readonly service: string; readonly rest: readonly string[]; readonly route: ServiceRoute }
  /** `/restate/scope/{scope}/{call|send}/…`: a scoped invocation (Restate 1.7 refuses them unless vqueues are on). */
  | {
      readonly kind: "scoped";
      readonly scope: string;
      readonly service: string;
      readonly rest: readonly string[];
      readonly route: Exclude<ServiceRoute, "classic">;
    }
  | { readonly kind: "invalid"; readonly status: 400 | 404; readonly message: string };

// Restate 1.7's messages for malformed paths, so clients see the same text from both servers.
export const BAD_SERVICE_PATH = "bad path, expected either /:service-name/:handler or /:object-name/:object-key/:handler";
/** Restate 1.7's message for the `/restate/call|send|attach|output|lookup` routes. */
export const BAD_RESTATE_PATH =
  "bad path, expected /restate/call/:service/:handler, /restate/send/:service/:handler, /restate/scope/:scope/call/:service/:handler, " +
  "/restate/attach/:invocation_id, /restate/output/:invocation_id, or /restate/lookup";
export const BAD_INVOCATION_PATH =
  "bad path, expected either /restate/invocation/:invocation_id/output or /restate/invocation/:invocation_id/attach or " +
  "/restate/invocation/:invocation_target/:idempotency_key/output or /restate/invocation/:invocation_target/:idempotency_key/attach";
const BAD_WORKFLOW_PATH =
  "bad path, expected either /restate/workflow/:workflow_name/:workflow_key/output or /restate/workflow/:workflow_name/:workflow_key/attach";
const NOT_FOUND = { kind: "invalid", status: 404, message: "not found" } as const;

const isOutputAction = (s: string | undefined): s is OutputAction => s === "attach" || s === "output";

/**
 * The path's segments, with empty segments at either end dropped, as Restate 1.7 does: `//restate/health`
 * and `/Svc/handler//` name the same routes as without the extra slashes. Empty segments inside the path
 * are kept: `/Obj//handler` is the object key `""`, and `/Svc//handler` is a bad path.
 */
export function pathSegments(path: string): string[] {
  const segments = path.split("/");
  let first = 0;
  let end = segments.length;
  while (first < end && segments[first] === "") first++;
  while (end > first && segments[end - 1] === "") end--;
  return segments.slice(first, end);
}

/**
 * Splits an ingress URL path into segments. Service and handler names are taken as written (Restate does
 * not percent-decode them); keys and ids are decoded. Service paths are `/{service}/{handler}[/send]` for
 * plain services and `/{service}/{key}/{handler}[/send]` for objects and workflows (also under
 * `/restate/call/` and `/restate/send/`); which one applies depends on the service's type, so the caller
 * reads the rest with `readHandlerCall`.
 */
export function parseIngressPath(rawPath: string): IngressPath {
  const raw = pathSegments(rawPath.split("?")[0] ?? "");
  const decode = (i: number): string | undefined => {
    try {
      return decodeURIComponent(raw[i] ?? "");
    } catch {
      return undefined;
    }
  };
  const decodeRest = (from: number): string[] | undefined => {
    const rest: string[] = [];
    for (let i = from; i < raw.length; i++) {
      const segment = decode(i);
      if (segment === undefined) return undefined;
      rest.push(segment);
    }
    return rest;
  };
  const badPath = { kind: "invalid", status: 400, message: `bad path: /${raw.join("/")}` } as const;
  if (raw.length < 2) return badPath;

  if (raw[0] !== "restate") {
    const rest = decodeRest(1);
    if (rest === undefined) return { kind: "invalid", status: 400, message: BAD_SERVICE_PATH };
    return { kind: "service", service: raw[0]!, rest, route: "classic" };
  }

  const badRestatePath = { kind: "invalid", status: 400, message: BAD_RESTATE_PATH } as const;
  const last = raw[raw.length - 1];
  switch (raw[1]) {
    case "health":
      return raw.length === 2 ? { kind: "health" } : NOT_FOUND;
    case "call":
    case "send": {
      const rest = raw.length >= 4 ? decodeRest(3) : undefined;
      if (rest === undefined) return badRestatePath;
      return { kind: "service", service: raw[2]!, rest, route: raw[1] };
    }
    case "attach":
    case "output":
      if (raw.length === 2) return { kind: "target-body", action: raw[1] };
      if (raw.length === 3) return { kind: "invocation", invocationId: decode(2) ?? "", action: raw[1] };
      return badRestatePath;
    case "lookup":
      return raw.length === 2 ? { kind: "lookup" } : badRestatePath;
    case "scope": {
      const route = raw[3];
      if (raw.length < 6 || (route !== "call" && route !== "send")) return badRestatePath;
      const rest = decodeRest(5);
      if (rest === undefined) return badRestatePath;
      return { kind: "scoped", scope: decode(2) ?? raw[2]!, service: raw[4]!, rest, route };
    }
    case "invocation": {
      if (!isOutputAction(last)) return raw.length <= 3 ? { kind: "invalid", status: 400, message: BAD_INVOCATION_PATH } : NOT_FOUND;
      if (raw.length === 4) return { kind: "invocation", invocationId: decode(2) ?? "", action: last };
      // The target (`Svc/handler` or `Obj/key/handler`) is read against the service's type by the caller.
      if (raw.length >= 5 && raw.length <= 7) {
        const parts = raw.slice(3, -1).map((_, i) => decode(i + 3) ?? "");
        return { kind: "idempotent", service: raw[2]!, parts, action: last };
      }
      return raw.length <= 4 ? { kind: "invalid", status: 400, message: BAD_INVOCATION_PATH } : badPath;
    }
    case "workflow":
      if (raw.length === 5 && isOutputAction(last)) return { kind: "workflow", service: raw[2]!, key: decode(3) ?? "", action: last };
      return raw.length <= 4 ? { kind: "invalid", status: 400, message: BAD_WORKFLOW_PATH } : NOT_FOUND;
    // `/restate/a/…` is the short form the official ingress client uses.
    case "awakeables":
    case "a":
      if (raw.length === 4 && (last === "resolve" || last === "reject")) {
        return { kind: "awakeable", awakeableId: decode(2) ?? "", action: last };
      }
      return NOT_FOUND;
    default:
      return NOT_FOUND;
  }
}

/** Why a scope name is refused, in Restate 1.7's words; undefined when it is valid. */
export function scopeProblem(scope: string): string | undefined {
  if (scope === "") return "bad scope value: value cannot be empty";
  if (!/^[a-zA-Z0-9_.-]+$/.test(scope)) return "bad scope value: value contains characters outside the allowed set [a-zA-Z0-9_.-]";
  return undefined;
}

export interface HandlerCall {
  readonly key: string;
  readonly handler: string;
  readonly send: boolean;
}

/**
 * Reads `rest` for a keyed (`true`) or plain (`false`) service; undefined when the shape does not fit.
 * Only the classic route takes a `/send` suffix; `/restate/send/…` is a send without one.
 */
export function readHandlerCall(rest: readonly string[], keyed: boolean, route: ServiceRoute = "classic"): HandlerCall | undefined {
  const withKey = keyed ? 1 : 0;
  const sendSuffix = route === "classic" && rest.length === withKey + 2 && rest[withKey + 1] === "send";
  if (rest.length !== withKey + 1 && !sendSuffix) return undefined;
  const handler = rest[withKey]!;
  // Object keys may be empty (`/Obj//handler`); handler names may not.
  if (handler === "" || (!keyed && rest.includes(""))) return undefined;
  return { key: keyed ? rest[0]! : "", handler, send: sendSuffix || route === "send" };
}

/** The media type of a content-type header: parameters and surrounding blanks removed, case kept. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? "").split(";")[0]!.trim();
}

/** Whether a request's media type satisfies a handler's declared input content type (`*` wildcards allowed). */
export function contentTypeMatches(actual: string, expected: string): boolean {
  if (expected === "*/*" || expected === actual) return true;
  if (expected.endsWith("/*")) return actual.startsWith(expected.slice(0, -1));
  return false;
}
