import { describe, expect, it } from "vitest";
import { stateVersion } from "../../../../partition/index.js";

const bytes = (s: string) => Buffer.from(s, "utf8");

describe("stateVersion", () => {
  // Vectors computed by restate-server 1.7 (its CLI and web UI send them back as `version`).
  it("hashes the state as Restate does", () => {
    expect(stateVersion([])).toBe("47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU");
    expect(stateVersion([[bytes("name"), bytes("bob")]])).toBe("tDqA04Lj3_qJ-PgNPTecXDGZgpwy6jm2Ni2BYqJIthM");
  });

  it("does not depend on the order the pairs come in, and tells values and keys apart", () => {
    const a: Array<[Uint8Array, Uint8Array]> = [
      [bytes("b"), bytes("2")],
      [bytes("a"), bytes("1")],
    ];
    expect(stateVersion(a)).toBe(stateVersion([...a].reverse()));
    expect(stateVersion([[bytes("ab"), bytes("c")]])).not.toBe(stateVersion([[bytes("a"), bytes("bc")]]));
  });
});
