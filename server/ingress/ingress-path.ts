export type OutputAction = "attach" | "output";

/** What an ingress path names, once the service's type is known; or why it names nothing. */
export type IngressPath =
  | { readonly kind: "health" }
  | { readonly kind: "invocation"; readonly invocationId: string; readonly action: OutputAction }
  /** `/restate/invocation/{service}/[{key}/]{handler}/{idempotency-key}/{attach|output}`; key presence depends on the service. */
  | { readonly kind: "idempotent"; readonly service: string; readonly parts: readonly string[]; readonly action: OutputAction }
  | { readonly kind: "workflow"; readonly service: string; readonly key: string; readonly action: OutputAction }
  | { readonly kind: "awakeable"; readonly awakeableId: string; readonly action: "resolve" | "reject" }
  | { readonly kind: "service"; readonly service: string; readonly rest: readonly string[] }
  | { readonly kind: "invalid"; readonly status: 400 | 404; readonly message: string };

// Restate 1.7's messages for malformed paths, so clients see the same text from both servers.
export const BAD_SERVICE_PATH = "bad path, expected either /:service-name/:handler or /:object-name/:object-key/:handler";
const BAD_INVOCATION_PATH =
  "bad path, expected either /restate/invocation/:invocation_id/output or /restate/invocation/:invocation_id/attach or " +
  "/restate/invocation/:invocation_target/:idempotency_key/output or /restate/invocation/:invocation_target/:idempotency_key/attach";
const BAD_WORKFLOW_PATH =
  "bad path, expected either /restate/workflow/:workflow_name/:workflow_key/output or /restate/workflow/:workflow_name/:workflow_key/attach";
const NOT_FOUND = { kind: "invalid", status: 404, message: "not found" } as const;

const isOutputAction = (s: string | undefined): s is OutputAction => s === "attach" || s === "output";

/**
 * Splits an ingress URL path into segments. Service and handler names are taken as written (Restate does
 * not percent-decode them); keys and ids are decoded. Service paths are `/{service}/{handler}[/send]` for
 * plain services and `/{service}/{key}/{handler}[/send]` for objects and workflows; which one applies
 * depends on the service's type, so the caller reads the rest with `readHandlerCall`.
 */
export function parseIngressPath(rawPath: string): IngressPath {
  const path = rawPath.split("?")[0] ?? "";
  const raw = path.split("/").slice(1);
  if (raw.length > 1 && raw[raw.length - 1] === "") raw.pop();
  const decode = (i: number): string | undefined => {
    try {
      return decodeURIComponent(raw[i] ?? "");
    } catch {
      return undefined;
    }
  };
  const badPath = { kind: "invalid", status: 400, message: `bad path: ${path}` } as const;
  if (raw.length === 0 || raw[0] === "") return badPath;

  if (raw[0] !== "restate") {
    if (raw.length < 2) return badPath;
    const rest: string[] = [];
    for (let i = 1; i < raw.length; i++) {
      const segment = decode(i);
      if (segment === undefined) return { kind: "invalid", status: 400, message: BAD_SERVICE_PATH };
      rest.push(segment);
    }
    return { kind: "service", service: raw[0]!, rest };
  }

  const last = raw[raw.length - 1];
  switch (raw[1]) {
    case "health":
      return raw.length === 2 ? { kind: "health" } : NOT_FOUND;
    case "invocation": {
      if (!isOutputAction(last)) return raw.length <= 3 ? { kind: "invalid", status: 400, message: BAD_INVOCATION_PATH } : NOT_FOUND;
      if (raw.length === 4) return { kind: "invocation", invocationId: decode(2) ?? "", action: last };
      if (raw.length === 6 || raw.length === 7) {
        const parts = raw.slice(3, -1).map((_, i) => decode(i + 3) ?? "");
        return { kind: "idempotent", service: raw[2]!, parts, action: last };
      }
      return { kind: "invalid", status: 400, message: BAD_INVOCATION_PATH };
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

export interface HandlerCall {
  readonly key: string;
  readonly handler: string;
  readonly send: boolean;
}

/** Reads `rest` for a keyed (`true`) or plain (`false`) service; undefined when the shape does not fit. */
export function readHandlerCall(rest: readonly string[], keyed: boolean): HandlerCall | undefined {
  const withKey = keyed ? 1 : 0;
  const send = rest.length === withKey + 2 && rest[withKey + 1] === "send";
  if (rest.length !== withKey + 1 && !send) return undefined;
  const handler = rest[withKey]!;
  // Object keys may be empty (`/Obj//handler`); handler names may not.
  if (handler === "" || (!keyed && rest.includes(""))) return undefined;
  return { key: keyed ? rest[0]! : "", handler, send };
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
