/** What an ingress path names, once the service's type is known. */
export type IngressPath =
  | { readonly kind: "health" }
  | { readonly kind: "invocation"; readonly invocationId: string; readonly action: "attach" | "output" }
  | { readonly kind: "service"; readonly service: string; readonly rest: readonly string[] };

/**
 * Splits an ingress URL path into segments. Service paths are `/{service}/{handler}[/send]` for plain
 * services and `/{service}/{key}/{handler}[/send]` for objects and workflows; which one applies depends on
 * the service's type, so the handler part is left for the caller to read.
 */
export function parseIngressPath(rawPath: string): IngressPath | undefined {
  const path = rawPath.split("?")[0] ?? "";
  const segments = path.split("/").slice(1);
  if (segments.length > 0 && segments[segments.length - 1] === "") segments.pop();
  let decoded: string[];
  try {
    decoded = segments.map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
  if (decoded.length === 0 || decoded.some((s) => s === "")) return undefined;
  if (decoded[0] === "restate") {
    if (decoded.length === 2 && decoded[1] === "health") return { kind: "health" };
    if (decoded.length === 4 && decoded[1] === "invocation" && (decoded[3] === "attach" || decoded[3] === "output")) {
      return { kind: "invocation", invocationId: decoded[2]!, action: decoded[3] };
    }
    return undefined;
  }
  if (decoded.length < 2) return undefined;
  return { kind: "service", service: decoded[0]!, rest: decoded.slice(1) };
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
  return { key: keyed ? rest[0]! : "", handler: rest[withKey]!, send };
}
