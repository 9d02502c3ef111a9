/** Addresses of the state page: keyed services, one service's objects, one object (its key in the query: keys are any text). */
export function statePath(service?: string, key?: string): string {
  if (service === undefined) return "state";
  const base = `state/${encodeURIComponent(service)}`;
  return key === undefined ? base : `${base}?key=${encodeURIComponent(key)}`;
}

export function objectListPath(service: string, options: { prefix?: string | undefined; after?: string | undefined }): string {
  const query = new URLSearchParams();
  if (options.prefix !== undefined && options.prefix !== "") query.set("prefix", options.prefix);
  if (options.after !== undefined) query.set("after", options.after);
  const text = query.toString();
  return `${statePath(service)}${text === "" ? "" : `?${text}`}`;
}
