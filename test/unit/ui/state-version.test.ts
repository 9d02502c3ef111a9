import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stateVersion as engineStateVersion } from "../../../partition/index.js";
import { base64Url, bytesHex, hexBytes, utf8Bytes } from "../../../ui/src/api/bytes.js";
import { sha256 } from "../../../ui/src/api/sha256.js";
import { stateVersion } from "../../../ui/src/api/state-version.js";

// The web UI computes state versions in the browser (crypto.subtle is missing over plain http), so its
// own SHA-256 and the version built on it must agree with node's and with the engine's.
describe("the web UI's state version", () => {
  it("hashes as node's SHA-256 does, across block boundaries", () => {
    for (const length of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000]) {
      const data = Uint8Array.from({ length }, (_, i) => (i * 31 + 7) & 255);
      expect(bytesHex(sha256(data)), String(length)).toBe(createHash("sha256").update(data).digest("hex"));
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (data) => bytesHex(sha256(data)) === createHash("sha256").update(data).digest("hex")),
    );
  });

  it("writes base64url without padding as node does", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), (data) => base64Url(data) === Buffer.from(data).toString("base64url")));
  });

  it("gives Restate's versions of the empty state and of {name: bob}", () => {
    expect(stateVersion([])).toBe("47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU");
    expect(stateVersion([[utf8Bytes("name"), utf8Bytes("bob")]])).toBe("tDqA04Lj3_qJ-PgNPTecXDGZgpwy6jm2Ni2BYqJIthM");
  });

  it("agrees with the engine's version for any state, whatever the order of its keys", () => {
    const state = fc.uniqueArray(fc.tuple(fc.string({ maxLength: 8 }), fc.uint8Array({ maxLength: 20 })), { selector: ([k]) => k, maxLength: 6 });
    fc.assert(
      fc.property(state, (pairs) => {
        const entries = pairs.map(([k, v]) => [utf8Bytes(k), v] as const);
        return stateVersion(entries) === engineStateVersion([...entries].reverse());
      }),
    );
  });

  it("reads hex as the query answers write it", () => {
    expect(hexBytes("00ff10")).toEqual(Uint8Array.of(0, 255, 16));
    expect(hexBytes("0A 0b")).toEqual(Uint8Array.of(10, 11));
    expect(hexBytes("abc")).toBeUndefined();
    expect(hexBytes("zz")).toBeUndefined();
  });
});
