import { ApiError } from "../api/http.js";

/** A failed request, as the person should read it: what was asked, and what stet answered. */
export function ErrorNotice(props: { error: unknown; what?: string }) {
  if (props.error === undefined || props.error === null) return null;
  const error = props.error;
  const detail =
    error instanceof ApiError
      ? `${error.request} failed${error.status === 0 ? "" : ` (${error.status})`}: ${error.message}`
      : error instanceof Error
        ? error.message
        : String(error);
  return (
    <div class="error" role="alert">
      {props.what === undefined ? null : <strong>{props.what}: </strong>}
      {detail}
    </div>
  );
}
