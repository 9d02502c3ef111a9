/**
 * A short, single-line description of what a URL answered, for discovery error messages: the status,
 * the content type and the first characters of the body. Registering the address of an ordinary web
 * server is a common mistake; its whole HTML page in an error message (as Restate 1.7 puts it) buries
 * the one thing the operator needs to read, so the body is cut to an excerpt.
 */

/** Characters of the body shown at most (before the closing `…`). */
export const EXCERPT_CHARS = 120;
/** Characters of the content type shown at most: a header can be as long as a body. */
const CONTENT_TYPE_CHARS = 100;
// Bytes decoded to find EXCERPT_CHARS characters: UTF-8 takes at most 4 bytes per character.
const EXCERPT_BYTES = EXCERPT_CHARS * 4;

export interface AnswerSummary {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly body: Buffer;
}

/**
 * `status code 404, content-type "text/html", 1834 bytes: "<!DOCTYPE html> <html> <head>…"`. Runs of
 * whitespace (newlines included) collapse to one space; other control characters are escaped.
 */
export function describeAnswer(answer: AnswerSummary): string {
  const contentType = answer.contentType === undefined || answer.contentType === "" ? "no content-type" : `content-type ${quoted(answer.contentType, CONTENT_TYPE_CHARS)}`;
  const body = answer.body.length === 0 ? "an empty body" : `${answer.body.length} bytes: ${bodyExcerpt(answer.body)}`;
  return `status code ${answer.status}, ${contentType}, ${body}`;
}

/** The first EXCERPT_CHARS characters of the body, quoted, on one line. */
export function bodyExcerpt(body: Buffer): string {
  // A character cut in half at EXCERPT_BYTES decodes to U+FFFD; it lies past the excerpt unless the
  // body is almost all 4-byte characters, and then a replacement character at the end is harmless.
  return quoted(body.subarray(0, EXCERPT_BYTES).toString("utf8"), EXCERPT_CHARS, body.length > EXCERPT_BYTES);
}

function quoted(text: string, max: number, more = false): string {
  const oneLine = text.replace(/\s+/g, " ").trim();
  const chars = Array.from(oneLine);
  const cut = chars.length > max || more;
  // JSON.stringify escapes the C0 control characters and the quotes; DEL and the C1 controls are
  // escaped here, so nothing in the excerpt can move a terminal's cursor or colour a log line.
  return JSON.stringify(chars.slice(0, max).join("") + (cut ? "…" : "")).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
