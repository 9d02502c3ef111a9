import { invalidField } from "./admin-errors.js";

// RFC 9110 token for names; values without control characters (they would split or corrupt the request).
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** `additional_headers` of a request, checked and with lower-case names. */
export function checkHeaders(headers: Record<string, string> | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (!HEADER_NAME.test(name)) throw invalidField("additional_headers", `${JSON.stringify(name)} is not a valid header name`);
    if (!HEADER_VALUE.test(value)) throw invalidField("additional_headers", `the value of ${name} contains invalid characters`);
    out[name.toLowerCase()] = value;
  }
  return out;
}

