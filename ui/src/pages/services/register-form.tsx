import { useState } from "preact/hooks";
import { registerDeployment } from "../../api/admin-api.js";
import { ErrorNotice } from "../../components/error-notice.js";

/** Registers a deployment by its URL: stet asks the endpoint what it serves (discovery). */
export function RegisterForm(props: { onRegistered: () => void }) {
  const [uri, setUri] = useState("");
  const [http11, setHttp11] = useState(false);
  const [force, setForce] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const [result, setResult] = useState<string | undefined>(undefined);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    setResult(undefined);
    try {
      const registered = await registerDeployment({ uri: uri.trim(), use_http_11: http11, force });
      const names = registered.services.map((s) => s.name).join(", ");
      setResult(registered.created ? `Registered ${registered.id} with ${names}.` : `Already registered as ${registered.id} (${names}); nothing changed.`);
      setUri("");
      props.onRegistered();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="filters register" aria-labelledby="register-heading" onSubmit={(e) => void submit(e)}>
      <h3 id="register-heading">Register a deployment</h3>
      <label>
        Endpoint URL
        <input name="uri" type="url" required placeholder="http://localhost:9080" spellcheck={false} value={uri} onInput={(e) => setUri(e.currentTarget.value)} />
      </label>
      <label class="check">
        <input type="checkbox" checked={http11} onChange={(e) => setHttp11(e.currentTarget.checked)} /> HTTP/1.1 (request/response)
      </label>
      <label class="check">
        <input type="checkbox" checked={force} onChange={(e) => setForce(e.currentTarget.checked)} /> Overwrite an existing registration
      </label>
      <button type="submit" class="primary" disabled={busy}>
        {busy ? "Registering…" : "Register"}
      </button>
      <p class="muted" role="status">
        {result}
      </p>
      <ErrorNotice error={error} what="The deployment was not registered" />
    </form>
  );
}
