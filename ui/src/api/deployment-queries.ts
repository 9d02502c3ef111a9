import { runQuery } from "./sql.js";

/** Invocations by the deployment they are bound to. */
export interface DeploymentUse {
  /** Unfinished invocations pinned to the deployment (their journal was started there). */
  readonly pinned: number;
  /** Invocations the invoker tracks whose last attempt went to the deployment. */
  readonly lastAttempt: number;
}

/**
 * How many invocations each deployment holds: pinned (`sys_invocation_status.pinned_deployment_id`, as
 * the CLI's `deployments describe` counts them) and by last attempt (`sys_invocation_state`).
 */
export async function deploymentUse(signal?: AbortSignal): Promise<Map<string, DeploymentUse>> {
  const [pinned, attempts] = await Promise.all([
    runQuery<{ deployment: string; n: number }>(
      `SELECT pinned_deployment_id AS deployment, COUNT(*) AS n FROM sys_invocation_status
       WHERE pinned_deployment_id IS NOT NULL AND status != 'completed' GROUP BY pinned_deployment_id`,
      signal,
    ),
    runQuery<{ deployment: string; n: number }>(
      `SELECT last_attempt_deployment_id AS deployment, COUNT(*) AS n FROM sys_invocation_state
       WHERE last_attempt_deployment_id IS NOT NULL GROUP BY last_attempt_deployment_id`,
      signal,
    ),
  ]);
  const use = new Map<string, DeploymentUse>();
  const at = (id: string) => use.get(id) ?? { pinned: 0, lastAttempt: 0 };
  for (const row of pinned) use.set(row.deployment, { ...at(row.deployment), pinned: row.n });
  for (const row of attempts) use.set(row.deployment, { ...at(row.deployment), lastAttempt: row.n });
  return use;
}
