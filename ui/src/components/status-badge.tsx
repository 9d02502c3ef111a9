/** An invocation status, coloured by what it asks of the operator (see styles.css). */
export function StatusBadge(props: { status: string; result?: string | undefined }) {
  const failed = props.status === "completed" && props.result === "failure";
  return (
    <span class={`status status-${props.status}${failed ? " status-failed" : ""}`} data-status={props.status}>
      {props.status}
      {props.status === "completed" && props.result !== undefined ? ` (${props.result})` : ""}
    </span>
  );
}
