import { describe, expect, it } from "vitest";
import { parseAdminDuration } from "../../../../server/admin/service-routes.js";

describe("parseAdminDuration", () => {
  it.each([
    ["500ms", 500],
    ["1h 30m", 5_400_000],
    ["2d, 3h", 2 * 86_400_000 + 3 * 3_600_000],
    ["5 hours", 18_000_000],
    ["2500\u00b5s", 3],
    ["2500us", 3],
    ["PT1H30M", 5_400_000],
    ["P1D", 86_400_000],
  ])("reads %s as %d ms", (text, ms) => {
    expect(parseAdminDuration(text)).toBe(ms);
  });

  it.each(["", "P", "PT", "5 fortnights", "1 month", "10"])("refuses %j", (text) => {
    expect(parseAdminDuration(text)).toBeUndefined();
  });
});
