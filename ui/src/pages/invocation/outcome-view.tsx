import type { Outcome } from "./journal-model.js";

/** A result as the journal shows it: a value, done (void), a failure with its code, or still waiting. */
export function OutcomeView(props: { outcome: Outcome | undefined }) {
  const o = props.outcome;
  if (o === undefined) return null;
  switch (o.kind) {
    case "value":
      return <code class="outcome outcome-value">{o.text === "" ? "(empty)" : o.text}</code>;
    case "void":
      return <span class="outcome outcome-void muted">done</span>;
    case "failure":
      return (
        <span class="outcome outcome-failure">
          failed [{o.code}] {o.message}
        </span>
      );
    case "pending":
      return <span class="outcome outcome-pending">waiting…</span>;
  }
}
