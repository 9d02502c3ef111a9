export type OutputAction = "attach" | "output";

/** What an ingress path names, once the service's type is known. */
export type IngressPath =
  | { readonly kind: "health" }
  | { readonly kind: "invocation"; readonly invocationId: string; readonly action: OutputAction }
  /** `/restate/invocation/{service}/[{key}/]{handler}/{idempotency-key}/{attach|output}`; key presence depends on the service. */
  | { readonly kind: "idempotent"; readonly service: string; readonly parts: readonly string[]; readonly action: OutputAction }
  | { readonly kind: "workflow"; readonly service: string; readonly key: string; readonly action: OutputAction }
  | { readonly kind: "awakeable"; readonly awakeableId: string; readonly action: "resolve" | "reject" }
  | { readonly kind: "service"; readonly service: string; readonly rest: readonly string[] };

const isOutputAction = (s: string | undefined): s is OutputAction => s === "attach" || s === "output";

/**
 * Splits an ingress URL path into segments. Service paths are `/{service}/{handler}[/send]` for plain
 * services and `/{service}/{key}/{handler}[/send]` for objects and workflows; which one applies depends on
 * the service's type, so the handler part is left for the caller to read.
 */
export function parseIngressPath(rawPath: string): IngressPath | undefined {
  const path = rawPath.split("?")[0] ?? "";
  const segments = path.split("/").slice(1);
  if (segments.length > 0 && segments[segments.length - 1] === "") segments.pop();
  let s: string[];
  try {
    s = segments.map((x) => decodeURIComponent(x));
  } catch {
    return undefined;
  }
  if (s.length === 0 || s.some((x) => x === "")) return undefined;
  if (s[0] !== "restate") return s.length < 2 ? undefined : { kind: "service", service: s[0]!, rest: s.slice(1) };

  const last = s[s.length - 1];
  if (s.length === 2 && s[1] === "health") return { kind: "health" };
  if (s[1] === "invocation" && isOutputAction(last)) {
    if (s.length === 4) return { kind: "invocation", invocationId: s[2]!, action: last };
    if (s.length === 6 || s.length === 7) return { kind: "idempotent", service: s[2]!, parts: s.slice(3, -1), action: last };
  }
  if (s[1] === "workflow" && s.length === 5 && isOutputAction(last)) {
    return { kind: "workflow", service: s[2]!, key: s[3]!, action: last };
  }
  // `/restate/a/…` is the short form the official ingress client uses.
  if ((s[1] === "awakeables" || s[1] === "a") && s.length === 4 && (last === "resolve" || last === "reject")) {
    return { kind: "awakeable", awakeableId: s[2]!, action: last };
  }
  return undefined;
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
