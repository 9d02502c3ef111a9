import { getService, serviceOpenApiPath, type HandlerInfo } from "../../api/admin-api.js";
import { ErrorNotice } from "../../components/error-notice.js";
import { Link } from "../../router.js";
import { useResource } from "../../use-resource.js";
import { invocationsPath } from "../invocations/invocations-path.js";
import { statePath } from "../state/state-path.js";
import { ServiceOptionsForm } from "./service-options-form.js";
import { servicePath } from "./services-path.js";

/** One service: its handlers with their types and schemas, and its options (editable). */
export function ServicePage(props: { name: string }) {
  const { name } = props;
  const service = useResource((signal) => getService(name, signal), name);
  const s = service.data;
  return (
    <>
      <p>
        <Link to={servicePath()}>← Services and deployments</Link>
      </p>
      <h1>{name}</h1>
      <ErrorNotice error={service.error} what="Could not load the service" />
      {s === undefined ? null : (
        <>
          <p>
            {s.ty}, revision {s.revision}, served by <span class="mono">{s.deployment_id}</span>.
            {s.documentation === undefined ? null : <span class="muted"> {s.documentation}</span>}
          </p>
          <div class="toolbar">
            <Link to={invocationsPath({ service: name })}>Invocations</Link>
            {s.ty === "Service" ? null : <Link to={statePath(name)}>State</Link>}
            <a href={serviceOpenApiPath(name)} target="_blank" rel="noreferrer">
              OpenAPI document
            </a>
          </div>
          <h2>Handlers</h2>
          <Handlers handlers={s.handlers} />
          <h2>Options</h2>
          <ServiceOptionsForm key={s.name} service={s} onSaved={service.reload} />
        </>
      )}
    </>
  );
}

function Handlers(props: { handlers: readonly HandlerInfo[] }) {
  if (props.handlers.length === 0) return <p class="empty">No handlers.</p>;
  return (
    <table class="data" id="handlers">
      <thead>
        <tr>
          <th scope="col">Handler</th>
          <th scope="col">Type</th>
          <th scope="col">Public</th>
          <th scope="col">Input</th>
          <th scope="col">Output</th>
        </tr>
      </thead>
      <tbody>
        {props.handlers.map((h) => (
          <tr key={h.name} data-handler={h.name}>
            <th scope="row">
              <span class="mono">{h.name}</span>
              {h.documentation === undefined ? null : <div class="muted">{h.documentation}</div>}
            </th>
            <td>{h.ty ?? "—"}</td>
            <td>{h.public === false ? "no" : "yes"}</td>
            <td data-part="input">
              <Payload description={h.input_description} schema={h.input_json_schema} label={`Input schema of ${h.name}`} />
            </td>
            <td data-part="output">
              <Payload description={h.output_description} schema={h.output_json_schema} label={`Output schema of ${h.name}`} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Payload(props: { description: string | undefined; schema: unknown; label: string }) {
  return (
    <>
      <span class="payload">{props.description ?? "—"}</span>
      {props.schema === undefined ? null : (
        <details class="schema">
          <summary aria-label={props.label}>JSON schema</summary>
          <pre class="value-text">{JSON.stringify(props.schema, null, 2)}</pre>
        </details>
      )}
    </>
  );
}
