import type { Location } from "../../router.js";
import { KeyedServices } from "./keyed-services.js";
import { ObjectList } from "./object-list.js";
import { ObjectStatePage } from "./object-state-page.js";

/** `state`, `state/{service}` and `state/{service}?key=…`. */
export function StatePage(props: { location: Location }) {
  const service = props.location.segments[1];
  const key = props.location.query.get("key");
  if (service === undefined) return <KeyedServices />;
  if (key === null) return <ObjectList service={service} query={props.location.query} />;
  return <ObjectStatePage key={`${service}\u0000${key}`} service={service} objectKey={key} />;
}

export function stateTitle(location: Location): string {
  const service = location.segments[1];
  const key = location.query.get("key");
  if (service === undefined) return "State";
  return key === null ? `State of ${service}` : `${service} / ${key}`;
}
