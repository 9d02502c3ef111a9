import { listServices } from "../../api/admin-api.js";
import { servicesWithState } from "../../api/state-queries.js";
import { ErrorNotice } from "../../components/error-notice.js";
import { Link } from "../../router.js";
import { useResource } from "../../use-resource.js";
import { statePath } from "./state-path.js";

/** Virtual objects and workflows (the services that have state), with how many of their keys have some. */
export function KeyedServices() {
  const services = useResource(listServices, "services");
  const stored = useResource(servicesWithState, "services-with-state");
  const keyed = (services.data ?? []).filter((s) => s.ty !== "Service");
  const counts = new Map((stored.data ?? []).map((s) => [s.service, s.objects]));
  // State of a service no longer registered is still there, and can still be cleared.
  const names = [...new Set([...keyed.map((s) => s.name), ...counts.keys()])].sort();
  const loaded = services.data !== undefined && stored.data !== undefined;
  return (
    <>
      <h1>State</h1>
      <p class="muted">The K/V state of virtual objects and workflows, by service and key.</p>
      <ErrorNotice error={services.error} what="Could not load services" />
      <ErrorNotice error={stored.error} what="Could not read the state" />
      {loaded && names.length === 0 ? <p class="empty">No virtual objects or workflows are registered, and no state is stored.</p> : null}
      {names.length === 0 ? null : (
        <table class="data" id="keyed-services">
          <thead>
            <tr>
              <th scope="col">Service</th>
              <th scope="col">Type</th>
              <th scope="col">Keys with state</th>
            </tr>
          </thead>
          <tbody>
            {names.map((name) => (
              <tr key={name} data-service={name}>
                <th scope="row">
                  <Link to={statePath(name)}>{name}</Link>
                </th>
                <td>{keyed.find((s) => s.name === name)?.ty ?? "(not registered)"}</td>
                <td>{counts.get(name) ?? 0}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
