import { describe, expect, it } from "vitest";
import { utf8Bytes } from "../../../ui/src/api/bytes.js";
import { changeFormat, draftFrom, draftToState, newDraftEntry } from "../../../ui/src/pages/state/state-draft.js";
import { parseValue, showValue } from "../../../ui/src/value-format.js";

describe("values on the state page", () => {
  it("shows JSON pretty-printed, other UTF-8 as text and the rest as hex", () => {
    expect(showValue(utf8Bytes('{"a":[1,2]}'))).toEqual({ format: "json", text: '{\n  "a": [\n    1,\n    2\n  ]\n}' });
    expect(showValue(utf8Bytes("hello"))).toEqual({ format: "text", text: "hello" });
    expect(showValue(Uint8Array.of(0xff, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16))).toEqual({
      format: "hex",
      text: "ff00 0102 0304 0506 0708 090a 0b0c 0d0e\n0f10",
    });
  });

  it("stores JSON compact, as the SDKs write it, and names what is wrong", () => {
    expect(parseValue("json", '{ "a" : 1 }')).toEqual({ bytes: utf8Bytes('{"a":1}') });
    expect(parseValue("json", "")).toMatchObject({ error: expect.stringMatching(/^not valid JSON/) });
    expect(parseValue("hex", "0g")).toEqual({ error: "not hex (pairs of 0-9 and a-f)" });
    expect(parseValue("text", "{x")).toEqual({ bytes: utf8Bytes("{x") });
  });

  it("turns the editor's rows into the new state, or lists every problem", () => {
    const rows = draftFrom([{ key: "n", value: utf8Bytes("1") }]);
    expect(draftToState([...rows, newDraftEntry("blob", "hex", "00ff")])).toEqual({ entries: [["n", utf8Bytes("1")], ["blob", Uint8Array.of(0, 255)]] });
    expect(draftToState([newDraftEntry("", "json", "1"), newDraftEntry("a", "json", "x"), newDraftEntry("a", "text", "")])).toEqual({
      errors: ["row 1: a key needs a name", expect.stringMatching(/^"a": not valid JSON/), '"a": the key appears twice'],
    });
  });

  it("shows the same bytes when the format changes to hex and back", () => {
    const row = newDraftEntry("k", "text", "hi");
    const hex = changeFormat(row, "hex");
    expect(hex.text).toBe("6869");
    expect(changeFormat(hex, "text").text).toBe("hi");
  });
});
