import { useState } from "preact/hooks";
import { listDeployments, removeDeployment, type DeploymentInfo } from "../../api/admin-api.js";
import { deploymentUse } from "../../api/deployment-queries.js";
import { ConfirmDialog } from "../../components/confirm-dialog.js";
import { ErrorNotice } from "../../components/error-notice.js";
import { formatTime } from "../../format.js";
import { Link } from "../../router.js";
import { useResource } from "../../use-resource.js";
import { invocationsPath } from "../invocations/invocations-path.js";
import { RegisterForm } from "./register-form.js";

const REFRESH_MS = 5000;

/** The deployments with the invocations bound to each; register one by URL, remove one after asking. */
export function DeploymentsSection(props: { onChange: () => void }) {
  const deployments = useResource(listDeployments, "deployments", REFRESH_MS);
  const use = useResource(deploymentUse, "deployment-use", REFRESH_MS);
  const [removing, setRemoving] = useState<DeploymentInfo | undefined>(undefined);
  const [removeError, setRemoveError] = useState<unknown>(undefined);
  const [removed, setRemoved] = useState<string | undefined>(undefined);
  const changed = () => {
    deployments.reload();
    use.reload();
    props.onChange();
  };
  const remove = async (d: DeploymentInfo) => {
    setRemoving(undefined);
    setRemoveError(undefined);
    setRemoved(undefined);
    try {
      await removeDeployment(d.id);
      setRemoved(`Removed ${d.id} (${d.uri}).`);
    } catch (error) {
      setRemoveError(error);
    }
    changed();
  };
  const inUse = removing === undefined ? undefined : use.data?.get(removing.id);

  return (
    <section aria-labelledby="deployments-heading">
      <h2 id="deployments-heading">Deployments</h2>
      <ErrorNotice error={deployments.error} what="Could not load deployments" />
      <ErrorNotice error={use.error} what="Could not count the invocations of each deployment" />
      <ErrorNotice error={removeError} what="The deployment was not removed" />
      <p class="muted" role="status">
        {removed}
      </p>
      {deployments.data?.length === 0 ? <p class="empty">No deployments registered.</p> : null}
      {deployments.data === undefined || deployments.data.length === 0 ? null : (
        <table class="data" id="deployment-list">
          <thead>
            <tr>
              <th scope="col">Id</th>
              <th scope="col">Endpoint</th>
              <th scope="col">Protocol</th>
              <th scope="col">Services</th>
              <th scope="col">Registered</th>
              <th scope="col">Pinned invocations</th>
              <th scope="col">Last attempts</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {deployments.data.map((d) => {
              const u = use.data?.get(d.id);
              return (
                <tr key={d.id} data-deployment={d.id}>
                  <td class="mono">{d.id}</td>
                  <td class="mono">{d.uri}</td>
                  <td>
                    {d.protocol_type}, {d.http_version}
                  </td>
                  <td>{d.services.map((s) => `${s.name} (rev. ${s.revision})`).join(", ")}</td>
                  <td>{formatTime(d.created_at)}</td>
                  <td data-count="pinned">
                    <Link to={invocationsPath({ deployment: d.id })}>{u?.pinned ?? 0}</Link>
                  </td>
                  <td data-count="last-attempt">
                    <Link to={invocationsPath({ deployment: d.id })}>{u?.lastAttempt ?? 0}</Link>
                  </td>
                  <td>
                    <button type="button" class="danger" aria-label={`Remove ${d.uri}`} onClick={() => setRemoving(d)}>
                      Remove
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <RegisterForm onRegistered={changed} />
      <ConfirmDialog
        open={removing !== undefined}
        title={`Remove the deployment at ${removing?.uri ?? ""}?`}
        confirmLabel="Remove"
        onConfirm={() => removing !== undefined && void remove(removing)}
        onCancel={() => setRemoving(undefined)}
      >
        <p>
          Its services ({removing?.services.map((s) => s.name).join(", ")}) are no longer served by it: a service that no other deployment serves is
          removed too.
        </p>
        {inUse === undefined || inUse.pinned + inUse.lastAttempt === 0 ? (
          <p>No invocation is pinned to it.</p>
        ) : (
          <p>
            <strong>
              Invocations bound to it: {inUse.pinned} pinned, {inUse.lastAttempt} whose last attempt ran on it.
            </strong>{" "}
            They cannot go on until a deployment serves their service again.
          </p>
        )}
      </ConfirmDialog>
    </section>
  );
}
