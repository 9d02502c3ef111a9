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
  // Index arithmetic rather than `split("/")`: this runs for every request (a split cost ~3× as much).
  const query = url.indexOf("?");
  let end = query < 0 ? url.length : query;
  if (end > 2 && url.charCodeAt(end - 1) === SLASH) end--;
  const lastStart = url.lastIndexOf("/", end - 1) + 1;
  const lastIs = (word: string) => end - lastStart === word.length && url.startsWith(word, lastStart);
  if (url.startsWith("/restate/")) {
    const secondEnd = url.indexOf("/", 9);
    const second = url.slice(9, secondEnd < 0 || secondEnd > end ? end : secondEnd);
    switch (second) {
      case "health":
        return lastStart === 9 ? "health" : "other";
      case "invocation":
      case "workflow":
        return lastIs("attach") ? "attach" : lastIs("output") ? "output" : "other";
      case "awakeables":
      case "a":
        return "awakeable";
      default:
        return "other";
    }
  }
  let slashes = 0;
  for (let at = url.indexOf("/"); at >= 0 && at < end; at = url.indexOf("/", at + 1)) slashes++;
  if (slashes < 2 || url.charCodeAt(1) === SLASH) return "other";
  return slashes >= 3 && lastIs("send") ? "send" : "call";
}

const SLASH = 47;
