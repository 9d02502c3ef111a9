export function servicePath(name?: string): string {
  return name === undefined ? "services" : `services/${encodeURIComponent(name)}`;
}
