import { AdminError, AdminErrorCode } from "./admin-errors.js";

/**
 * Why an operator action on an invocation was refused, worded for the single-invocation route and for
 * a batch's `failed` item (Restate words the two differently).
 */
export class OperationRefused extends Error {
  constructor(
    readonly code: AdminErrorCode,
    readonly invocationId: string,
    /** `The invocation '<id>' was already completed.` */
    message: string,
    /** `Invocation '<id>' was already completed` */
    readonly batchMessage: string,
  ) {
    super(message);
    this.name = "OperationRefused";
  }

  /** The error of the single-invocation route. */
  toAdminError(): AdminError {
    return new AdminError(this.code, this.message);
  }

  static notFound(id: string): OperationRefused {
    return new OperationRefused(AdminErrorCode.InvocationNotFound, id, `The requested invocation '${id}' does not exist`, `Invocation '${id}' not found`);
  }

  /** A refusal decided from the state: `reason` follows the id (`was already completed`). */
  static decided(code: AdminErrorCode, id: string, reason: string): OperationRefused {
    return new OperationRefused(code, id, `The invocation '${id}' ${reason}.`, `Invocation '${id}' ${reason}`);
  }
}

/** The partition did not apply the operation and gave no reason (it is not led here right now). */
export const invocationUnavailable = (id: string): AdminError =>
  new AdminError(AdminErrorCode.InvocationUnavailable, `The invocation '${id}' could not be reached right now; retry later.`);
