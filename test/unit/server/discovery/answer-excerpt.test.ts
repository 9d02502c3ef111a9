import { describe, expect, it } from "vitest";
import { EXCERPT_CHARS, bodyExcerpt, describeAnswer } from "../../../../server/discovery/answer-excerpt.js";

describe("describeAnswer", () => {
  it("names the status, the content type and the size, with the body on one line", () => {
    const body = Buffer.from("<html>\n  <body>\r\n\tHello</body>\n</html>\n");
    expect(describeAnswer({ status: 404, contentType: "text/html", body })).toBe(
      `status code 404, content-type "text/html", ${body.length} bytes: "<html> <body> Hello</body> </html>"`,
    );
  });

  it("says when there is no content type or no body", () => {
    expect(describeAnswer({ status: 204, contentType: undefined, body: Buffer.alloc(0) })).toBe("status code 204, no content-type, an empty body");
  });

  it("cuts a long body to EXCERPT_CHARS characters and marks the cut", () => {
    const body = Buffer.from("é".repeat(10_000));
    const excerpt = JSON.parse(bodyExcerpt(body)) as string;
    expect(excerpt).toBe(`${"é".repeat(EXCERPT_CHARS)}…`);
  });

  it("keeps a body of exactly EXCERPT_CHARS characters whole", () => {
    expect(JSON.parse(bodyExcerpt(Buffer.from("x".repeat(EXCERPT_CHARS))))).toBe("x".repeat(EXCERPT_CHARS));
  });

  it("escapes control characters and quotes instead of printing them", () => {
    const excerpt = bodyExcerpt(Buffer.from('a\u0000b\u001b[31mred\u007f"q"\u0085'));
    expect(excerpt).toBe('"a\\u0000b\\u001b[31mred\\u007f\\"q\\"\\u0085"');
    expect(excerpt).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
  });

  it("bounds a long content type too", () => {
    const described = describeAnswer({ status: 200, contentType: `text/${"x".repeat(5_000)}`, body: Buffer.from("x") });
    expect(described.length).toBeLessThan(200);
  });
});
