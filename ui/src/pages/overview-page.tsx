import { listDeployments, listServices } from "../api/admin-api.js";
import { INVOCATION_STATUSES, invocationCountsByService, type StatusCount } from "../api/queries.js";
import { completionsPerMinute } from "../api/chart-queries.js";
import { partitionLeadership } from "../api/metrics.js";
import { CompletionsChart } from "../components/completions-chart.js";
import { ErrorNotice } from "../components/error-notice.js";
import { PartitionsTable } from "../components/partitions-table.js";
import { StatusBadge } from "../components/status-badge.js";
import { Link } from "../router.js";
import { useResource } from "../use-resource.js";
import { invocationsPath } from "./invocations/invocations-path.js";
import { formatTime } from "../format.js";
import { servicePath } from "./services/services-path.js";

const REFRESH_MS = 5000;
const CHART_MINUTES = 60;

/** Services and deployments from the admin routes; invocation counts by status per service from sys_invocation. */
export function OverviewPage() {
  const services = useResource(listServices, "services", REFRESH_MS);
  const deployments = useResource(listDeployments, "deployments", REFRESH_MS);
  const counts = useResource(invocationCountsByService, "counts", REFRESH_MS);
  const chart = useResource((signal) => completionsPerMinute(Date.now(), CHART_MINUTES, signal), "chart", REFRESH_MS);
  const partitions = useResource(partitionLeadership, "partitions", REFRESH_MS);
  const byService = countsByService(counts.data ?? []);
  // Services that have invocations but are no longer registered still show their counts.
  const names = [...new Set([...(services.data ?? []).map((s) => s.name), ...byService.keys()])].sort();

  return (
    <>
      <h1>Overview</h1>
      <div class="overview-top">
      <section aria-labelledby="chart-heading">
        <h2 id="chart-heading">Completed per minute</h2>
        <ErrorNotice error={chart.error} what="Could not count completed invocations" />
        {chart.data === undefined ? null : <CompletionsChart minutes={chart.data} />}
      </section>
      <section aria-labelledby="partitions-heading">
        <h2 id="partitions-heading">Partitions</h2>
        <ErrorNotice error={partitions.error} what="Could not read the partitions (GET /metrics)" />
        {partitions.data === undefined ? null : <PartitionsTable partitions={partitions.data} node={window.location.host} />}
      </section>
      </div>
      <section aria-labelledby="services-heading">
        <h2 id="services-heading">Services</h2>
        <ErrorNotice error={services.error} what="Could not load services" />
        <ErrorNotice error={counts.error} what="Could not count invocations" />
        {services.data !== undefined && names.length === 0 ? (
          <p class="empty">No services yet. Register a deployment: POST /deployments with its URI.</p>
        ) : (
          <table class="data" id="services">
            <thead>
              <tr>
                <th scope="col">Service</th>
                <th scope="col">Type</th>
                <th scope="col">Handlers</th>
                <th scope="col">Deployment</th>
                <th scope="col">Invocations by status</th>
              </tr>
            </thead>
            <tbody>
              {names.map((name) => {
                const service = services.data?.find((s) => s.name === name);
                const statusCounts = byService.get(name) ?? [];
                return (
                  <tr key={name} data-service={name}>
                    <th scope="row">
                      {service === undefined ? name : <Link to={servicePath(name)}>{name}</Link>}
                    </th>
                    <td>{service?.ty ?? "(not registered)"}</td>
                    <td>{service?.handlers.map((h) => h.name).join(", ")}</td>
                    <td class="mono">{service?.deployment_id}</td>
                    <td>
                      <div class="counts">
                      {statusCounts.length === 0
                        ? "none"
                        : statusCounts.map((c) => (
                            <Link key={c.status} to={invocationsPath({ service: name, status: c.status })} class="count">
                              <StatusBadge status={c.status} /> <span class="n">{c.count}</span>
                            </Link>
                          ))}
                      </div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </section>
      <section aria-labelledby="deployments-heading">
        <h2 id="deployments-heading">Deployments</h2>
        <ErrorNotice error={deployments.error} what="Could not load deployments" />
        {deployments.data?.length === 0 ? (
          <p class="empty">No deployments registered.</p>
        ) : (
          <table class="data" id="deployments">
            <thead>
              <tr>
                <th scope="col">Id</th>
                <th scope="col">Endpoint</th>
                <th scope="col">Protocol</th>
                <th scope="col">Services</th>
                <th scope="col">Registered</th>
              </tr>
            </thead>
            <tbody>
              {(deployments.data ?? []).map((d) => (
                <tr key={d.id}>
                  <td class="mono">{d.id}</td>
                  <td class="mono">{d.uri}</td>
                  <td>
                    {d.protocol_type}, {d.http_version}
                  </td>
                  <td>{d.services.map((s) => `${s.name} (rev. ${s.revision})`).join(", ")}</td>
                  <td>{formatTime(d.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}

function countsByService(rows: readonly StatusCount[]): Map<string, StatusCount[]> {
  const map = new Map<string, StatusCount[]>();
  for (const row of rows) {
    const list = map.get(row.service) ?? [];
    list.push(row);
    map.set(row.service, list);
  }
  const order = (s: string) => INVOCATION_STATUSES.indexOf(s as (typeof INVOCATION_STATUSES)[number]);
  for (const list of map.values()) list.sort((a, b) => order(a.status) - order(b.status));
  return map;
}
