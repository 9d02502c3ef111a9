import type { ComponentChildren, TargetedMouseEvent } from "preact";
import { useEffect, useState } from "preact/hooks";

/**
 * Routing in the browser under the base `/ui/` (stet answers every `/ui/…` page path with index.html).
 * A location is the path after the base plus its query: `invocations?status=running`.
 */

const BASE = import.meta.env.BASE_URL; // "/ui/"
const CHANGED = "stet:navigate";

export interface Location {
  /** Path segments after the base: `[]`, `["invocations"]`, `["invocations", "inv_…"]`. */
  readonly segments: readonly string[];
  readonly query: URLSearchParams;
}

function current(): Location {
  const path = window.location.pathname.startsWith(BASE) ? window.location.pathname.slice(BASE.length) : "";
  return {
    segments: path.split("/").filter((s) => s !== "").map(decodeURIComponent),
    query: new URLSearchParams(window.location.search),
  };
}

export function href(to: string): string {
  return BASE + to;
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (options.replace === true) window.history.replaceState(null, "", href(to));
  else window.history.pushState(null, "", href(to));
  window.dispatchEvent(new Event(CHANGED));
}

export function useLocation(): Location {
  const [location, setLocation] = useState(current);
  useEffect(() => {
    const update = () => setLocation(current());
    window.addEventListener("popstate", update);
    window.addEventListener(CHANGED, update);
    return () => {
      window.removeEventListener("popstate", update);
      window.removeEventListener(CHANGED, update);
    };
  }, []);
  return location;
}

/** A link inside the UI: a real `<a href>` (open in a new tab works), followed without a page load. */
export function Link(props: { to: string; children: ComponentChildren; class?: string; "aria-current"?: "page" | undefined }) {
  const { to, children, ...rest } = props;
  const onClick = (event: TargetedMouseEvent<HTMLAnchorElement>) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return (
    <a {...rest} href={href(to)} onClick={onClick}>
      {children}
    </a>
  );
}
