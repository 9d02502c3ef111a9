/**
 * Polls `probe` until it returns something other than undefined, or fails at the deadline naming `what`
 * and the probe's last error. A deadline to wait within, never a timing assertion.
 */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}${last === undefined ? "" : ` (last error: ${String(last)})`}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
