import { showValue } from "../value-format.js";

/** A stored value: JSON pretty-printed, other text as it is, binary as hex; with its format and size. */
export function ValueView(props: { value: Uint8Array }) {
  const { format, text } = showValue(props.value);
  return (
    <div class="value">
      <span class="value-meta muted">
        {format === "json" ? "JSON" : format === "text" ? "text" : "binary, hex"} · {props.value.length} {props.value.length === 1 ? "byte" : "bytes"}
      </span>
      <pre class={`value-text value-${format}`}>{text === "" ? <span class="muted">(empty)</span> : text}</pre>
    </div>
  );
}
