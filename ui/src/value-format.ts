import { bytesHex, hexBytes, hexDump, utf8Bytes, utf8Text } from "./api/bytes.js";

/**
 * How a stored value is shown and edited: JSON (what the SDKs write by default) pretty-printed, other
 * UTF-8 as text, anything else as hex.
 */
export type ValueFormat = "json" | "text" | "hex";

export const VALUE_FORMATS: readonly { readonly format: ValueFormat; readonly label: string }[] = [
  { format: "json", label: "JSON" },
  { format: "text", label: "Text" },
  { format: "hex", label: "Hex" },
];

export function detectFormat(bytes: Uint8Array): ValueFormat {
  const text = utf8Text(bytes);
  if (text === undefined) return "hex";
  return parseJson(text) === undefined ? "text" : "json";
}

/** The value as the person reads it, in its own format. */
export function showValue(bytes: Uint8Array): { format: ValueFormat; text: string } {
  const format = detectFormat(bytes);
  return { format, text: valueText(bytes, format, true) };
}

/** The value as text in `format` (for the editor: hex without line breaks into groups unless `dump`). */
export function valueText(bytes: Uint8Array, format: ValueFormat, dump = false): string {
  if (format === "hex") return dump ? hexDump(bytes) : bytesHex(bytes);
  const text = utf8Text(bytes) ?? "";
  if (format === "text") return text;
  const json = parseJson(text);
  return json === undefined ? text : JSON.stringify(json.value, null, 2);
}

/**
 * What the person typed, as the bytes to store: JSON is checked and stored compact (as the SDKs write
 * it), text as UTF-8, hex as its bytes. An error names what is wrong.
 */
export function parseValue(format: ValueFormat, text: string): { bytes: Uint8Array } | { error: string } {
  switch (format) {
    case "json": {
      const json = parseJson(text);
      if (json === undefined) return { error: `not valid JSON: ${jsonError(text)}` };
      return { bytes: utf8Bytes(JSON.stringify(json.value)) };
    }
    case "text":
      return { bytes: utf8Bytes(text) };
    case "hex": {
      const bytes = hexBytes(text);
      return bytes === undefined ? { error: "not hex (pairs of 0-9 and a-f)" } : { bytes };
    }
  }
}

function parseJson(text: string): { value: unknown } | undefined {
  if (text.trim() === "") return undefined;
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

function jsonError(text: string): string {
  try {
    JSON.parse(text);
    return "empty";
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
