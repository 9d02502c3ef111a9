import { describe, expect, it } from "vitest";
import { cursorOf, listStatement, rowsStatement } from "../../../ui/src/api/invocation-list.js";
import { invocationsPath, listFromQuery } from "../../../ui/src/pages/invocations/invocations-path.js";

const IDS = "SELECT id FROM sys_invocation_status";
const LIVE_IDS = "SELECT id FROM sys_invocation";

describe("the invocation list's statement", () => {
  it("filters by every field, values quoted", () => {
    expect(
      listStatement(
        {
          status: "running",
          service: "Shop",
          handler: "order",
          key: "o'brien",
          id: "inv_1",
          idempotencyKey: "ik",
          deployment: "dp_1",
          createdAfter: "2025-01-01T00:00:00.000Z",
          createdBefore: "2025-02-01T00:00:00.000Z",
        },
        { sort: "created_desc", size: 50 },
      ),
    ).toBe(
      `${LIVE_IDS} WHERE status = 'running' AND target_service_name = 'Shop' AND target_handler_name = 'order' AND target_service_key = 'o''brien'` +
        ` AND id = 'inv_1' AND idempotency_key = 'ik' AND (pinned_deployment_id = 'dp_1' OR last_attempt_deployment_id = 'dp_1')` +
        ` AND created_at >= '2025-01-01T00:00:00.000Z' AND created_at < '2025-02-01T00:00:00.000Z' ORDER BY created_at DESC, id DESC LIMIT 51`,
    );
  });

  it("reads the stored status where the invoker's live state is not needed", () => {
    expect(listStatement({ status: "pending" }, { sort: "created_desc", size: 5 })).toBe(`${IDS} WHERE status = 'inboxed' ORDER BY created_at DESC, id DESC LIMIT 6`);
    expect(listStatement({ status: "completed", service: "S" }, { sort: "created_desc", size: 5 })).toBe(
      `${IDS} WHERE status = 'completed' AND target_service_name = 'S' ORDER BY created_at DESC, id DESC LIMIT 6`,
    );
    expect(listStatement({ status: "backing-off" }, { sort: "created_desc", size: 5 })).toBe(`${LIVE_IDS} WHERE status = 'backing-off' ORDER BY created_at DESC, id DESC LIMIT 6`);
    expect(listStatement({ deployment: "dp_1" }, { sort: "created_desc", size: 5 })).toMatch(/^SELECT id FROM sys_invocation WHERE \(pinned_deployment_id/);
    expect(rowsStatement(["inv_1", "inv_2"])).toBe(
      "SELECT id, target, status, completion_result, created_at, modified_at, retry_count FROM sys_invocation WHERE id IN ('inv_1', 'inv_2')",
    );
  });

  it("pages by (sort column, id) after or before a row, in either direction", () => {
    const at = { value: "2025-01-01T00:00:00Z", id: "inv_9" };
    expect(listStatement({}, { sort: "created_desc", after: at, size: 10 })).toBe(
      `${IDS} WHERE (created_at < '2025-01-01T00:00:00Z' OR (created_at = '2025-01-01T00:00:00Z' AND id < 'inv_9')) ORDER BY created_at DESC, id DESC LIMIT 11`,
    );
    // Back from a page: the rows before it, read the other way round (the caller turns them around).
    expect(listStatement({ service: "S" }, { sort: "created_desc", before: at, size: 10 })).toBe(
      `${IDS} WHERE target_service_name = 'S' AND (created_at > '2025-01-01T00:00:00Z' OR (created_at = '2025-01-01T00:00:00Z' AND id > 'inv_9')) ORDER BY created_at ASC, id ASC LIMIT 11`,
    );
    expect(listStatement({}, { sort: "modified_asc", after: at, size: 10 })).toContain("(modified_at > '2025-01-01T00:00:00Z' OR (modified_at = '2025-01-01T00:00:00Z' AND id > 'inv_9')) ORDER BY modified_at ASC, id ASC");
    expect(cursorOf({ id: "inv_2", target: "S/h", status: "ready", created_at: "c", modified_at: "m" }, "modified_desc")).toEqual({ value: "m", id: "inv_2" });
  });

  it("keeps filters, sort, size and page in the address, and ignores what is not valid there", () => {
    const path = invocationsPath(
      { service: "Shop", idempotencyKey: "k 1", createdAfter: "2025-01-01T00:00:00.000Z" },
      { sort: "created_asc", size: 10, after: { value: "2025-01-02T00:00:00Z", id: "inv_3" } },
    );
    expect(path).toBe("invocations?service=Shop&idempotency_key=k+1&created_after=2025-01-01T00%3A00%3A00.000Z&sort=created_asc&size=10&after=2025-01-02T00%3A00%3A00Z%7Cinv_3");
    expect(listFromQuery(new URLSearchParams(path.split("?")[1]))).toEqual({
      filter: expect.objectContaining({ service: "Shop", idempotencyKey: "k 1", createdAfter: "2025-01-01T00:00:00.000Z" }),
      view: { sort: "created_asc", size: 10, after: { value: "2025-01-02T00:00:00Z", id: "inv_3" }, before: undefined },
    });
    expect(listFromQuery(new URLSearchParams("status=bogus&sort=nope&size=0&after=x&created_before=soon"))).toEqual({
      filter: expect.objectContaining({ status: undefined, createdBefore: undefined }),
      view: { sort: "created_desc", size: 50, after: undefined, before: undefined },
    });
    expect(invocationsPath({})).toBe("invocations");
  });
});
