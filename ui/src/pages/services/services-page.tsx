import { listServices } from "../../api/admin-api.js";
import { ErrorNotice } from "../../components/error-notice.js";
import { Link } from "../../router.js";
import { useResource } from "../../use-resource.js";
import { DeploymentsSection } from "./deployments-section.js";
import { servicePath } from "./services-path.js";

const REFRESH_MS = 5000;

/** Every registered service, and the deployments that serve them (registered and removed here). */
export function ServicesPage() {
  const services = useResource(listServices, "services", REFRESH_MS);
  return (
    <>
      <h1>Services and deployments</h1>
      <section aria-labelledby="services-heading">
        <h2 id="services-heading">Services</h2>
        <ErrorNotice error={services.error} what="Could not load services" />
        {services.data?.length === 0 ? <p class="empty">No services yet: register a deployment below.</p> : null}
        {services.data === undefined || services.data.length === 0 ? null : (
          <table class="data" id="service-list">
            <thead>
              <tr>
                <th scope="col">Service</th>
                <th scope="col">Type</th>
                <th scope="col">Handlers</th>
                <th scope="col">Revision</th>
                <th scope="col">Public</th>
                <th scope="col">Deployment</th>
              </tr>
            </thead>
            <tbody>
              {services.data.map((s) => (
                <tr key={s.name} data-service={s.name}>
                  <th scope="row">
                    <Link to={servicePath(s.name)}>{s.name}</Link>
                  </th>
                  <td>{s.ty}</td>
                  <td>{s.handlers.map((h) => h.name).join(", ")}</td>
                  <td>{s.revision}</td>
                  <td>{s.public ? "yes" : "no"}</td>
                  <td class="mono">{s.deployment_id}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <DeploymentsSection onChange={services.reload} />
    </>
  );
}
