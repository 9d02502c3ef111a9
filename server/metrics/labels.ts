/**
 * Label values for metrics, from what the engine already has at hand. Each function is cheap (it runs
 * per request or per invocation) and returns values from a bounded set, or names the user chose
 * (services, handlers), never keys or ids: a label per object key would grow without bound.
 */

/** The service and handler of an invoker target: `Svc/handler`, or `Obj/key/handler` (the key may hold `/`). */
export function serviceAndHandler(target: string): { readonly service: string; readonly handler: string } {
  const first = target.indexOf("/");
  if (first < 0) return { service: target, handler: "" };
  return { service: target.slice(0, first), handler: target.slice(target.lastIndexOf("/") + 1) };
}

/** What an ingress request asked for, as Restate 1.7's ingress routes name it. */
export type IngressRouteKind = "call" | "send" | "attach" | "output" | "awakeable" | "health" | "preflight" | "other";

/**
 * The kind of an ingress request, from its method and URL alone (the ingress has one wildcard route, and
 * this runs after the response, without the registry). A service path ending in `/send` with at least
 * three segments is a send: `/Svc/handler/send` or `/Obj/key/handler/send`; an object handler that is
 * itself named `send` (`/Obj/key/send`) is counted as a send too, the one ambiguity a path alone has.
 */
export function ingressRouteKind(method: string, url: string): IngressRouteKind {
  if (method === "OPTIONS") return "preflight";
  const query = url.indexOf("?");
  const path = query < 0 ? url : url.slice(0, query);
  const segments = path.split("/");
  if (segments[segments.length - 1] === "" && segments.length > 2) segments.pop();
  const last = segments[segments.length - 1];
  if (segments[1] === "restate") {
    switch (segments[2]) {
      case "health":
        return segments.length === 3 ? "health" : "other";
      case "invocation":
      case "workflow":
        return last === "attach" || last === "output" ? last : "other";
      case "awakeables":
      case "a":
        return "awakeable";
      default:
        return "other";
    }
  }
  if (segments.length < 3 || segments[1] === "") return "other";
  return segments.length >= 4 && last === "send" ? "send" : "call";
}
