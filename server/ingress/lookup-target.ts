/**
 * The body of Restate 1.7's `POST /restate/lookup`, `POST /restate/attach` and `POST /restate/output`:
 * a JSON object whose `target` field says how the invocation is named.
 *
 *   {"target": "invocation", "invocationId": "inv_1…"}
 *   {"target": "workflow", "workflowName": "Wf", "workflowKey": "k"}
 *   {"target": "idempotentInvocation", "service": "Svc", "key"?: "k", "handler": "h", "idempotencyKey": "i"}
 *
 * Field names and the reasons given for a body that does not fit are those restate-server 1.7.12 answers
 * with (observed; see test/differential/RESTATE-FACTS.md). The content-type is not checked, as there.
 */
export type LookupTarget =
  | { readonly kind: "invocation"; readonly invocationId: string }
  | { readonly kind: "workflow"; readonly service: string; readonly key: string }
  | { readonly kind: "idempotent"; readonly service: string; readonly key: string; readonly handler: string; readonly idempotencyKey: string };

const VARIANTS = "expected one of `workflow`, `idempotentInvocation`, `invocation`";

/** The target a body names, or why it names none (a reason for Restate's `cannot read body: …` message). */
export function parseLookupTarget(body: Uint8Array): { readonly target: LookupTarget } | { readonly problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(body).toString("utf8"));
  } catch (error) {
    return { problem: body.length === 0 ? "EOF while parsing a value" : `not JSON: ${(error as Error).message}` };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return { problem: "invalid type, expected an object" };
  const fields = value as Record<string, unknown>;
  const field = (name: string, optional = false): string | { problem: string } | undefined => {
    const v = fields[name];
    if (v === undefined) return optional ? undefined : { problem: `missing field \`${name}\`` };
    return typeof v === "string" ? v : { problem: `invalid type for \`${name}\`, expected a string` };
  };
  const target = fields["target"];
  if (target === undefined) return { problem: "missing field `target`" };
  if (typeof target !== "string") return { problem: `invalid type: ${typeof target}, expected variant identifier` };

  switch (target) {
    case "invocation": {
      const invocationId = field("invocationId");
      if (typeof invocationId !== "string") return invocationId!;
      return { target: { kind: "invocation", invocationId } };
    }
    case "workflow": {
      const service = field("workflowName");
      if (typeof service !== "string") return service!;
      const key = field("workflowKey");
      if (typeof key !== "string") return key!;
      return { target: { kind: "workflow", service, key } };
    }
    case "idempotentInvocation": {
      const service = field("service");
      if (typeof service !== "string") return service!;
      const handler = field("handler");
      if (typeof handler !== "string") return handler!;
      const idempotencyKey = field("idempotencyKey");
      if (typeof idempotencyKey !== "string") return idempotencyKey!;
      const key = field("key", true);
      if (key !== undefined && typeof key !== "string") return key;
      return { target: { kind: "idempotent", service, key: key ?? "", handler, idempotencyKey } };
    }
    default:
      return { problem: `unknown variant \`${target}\`, ${VARIANTS}` };
  }
}
