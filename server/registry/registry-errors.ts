import { StetError } from "../../protocol/errors.js";

/**
 * Coded errors of the deployment registry. Statuses and messages follow Restate 1.7.12's admin API
 * for the same request (checked against the real server); `restateCode` is its `restate_code`.
 */
export const RegistryErrorCode = {
  DeploymentNotFound: "STET_DEPLOYMENT_NOT_FOUND",
  ServiceNotFound: "STET_SERVICE_NOT_FOUND",
  HandlerNotFound: "STET_HANDLER_NOT_FOUND",
  /** A new revision changes a service's type, without `breaking` or `force`. */
  ServiceTypeChanged: "STET_SERVICE_TYPE_CHANGED",
  /** Restate 1.7 supports only forced deletion; `force=false` answers 501 there. */
  DeleteNotForced: "STET_DEPLOYMENT_DELETE_NOT_FORCED",
  /** An update would move a deployment to the URI of another one (stet keeps one deployment per URI). */
  DeploymentUriTaken: "STET_DEPLOYMENT_URI_TAKEN",
} as const;
export type RegistryErrorCode = (typeof RegistryErrorCode)[keyof typeof RegistryErrorCode];

const STATUS: Readonly<Record<RegistryErrorCode, number>> = {
  STET_DEPLOYMENT_NOT_FOUND: 404,
  STET_SERVICE_NOT_FOUND: 404,
  STET_HANDLER_NOT_FOUND: 404,
  STET_SERVICE_TYPE_CHANGED: 409,
  STET_DEPLOYMENT_DELETE_NOT_FORCED: 501,
  STET_DEPLOYMENT_URI_TAKEN: 409,
};

const RESTATE_CODE: Readonly<Record<RegistryErrorCode, string | null>> = {
  STET_DEPLOYMENT_NOT_FOUND: null,
  STET_SERVICE_NOT_FOUND: null,
  STET_HANDLER_NOT_FOUND: null,
  STET_SERVICE_TYPE_CHANGED: "META0006",
  STET_DEPLOYMENT_DELETE_NOT_FORCED: null,
  STET_DEPLOYMENT_URI_TAKEN: null,
};

export class RegistryError extends StetError {
  readonly restateCode: string | null;
  constructor(code: RegistryErrorCode, message: string) {
    super(code, message, { status: STATUS[code] });
    this.name = "RegistryError";
    this.restateCode = RESTATE_CODE[code];
  }
}

export const deploymentNotFound = (id: string): RegistryError =>
  new RegistryError(RegistryErrorCode.DeploymentNotFound, `The requested deployment '${id}' does not exist`);

export const serviceNotFound = (name: string): RegistryError =>
  new RegistryError(RegistryErrorCode.ServiceNotFound, `The requested service '${name}' does not exist`);

export const handlerNotFound = (service: string, handler: string): RegistryError =>
  new RegistryError(RegistryErrorCode.HandlerNotFound, `The requested handler '${handler}' on service '${service}' does not exist`);
