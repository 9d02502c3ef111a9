import { describe, expect, it } from "vitest";
import { newInvocationId, randomPartitionKey, type InvocationId } from "../../../../protocol/index.js";
import { runOnLeaders, type RemoteItem } from "../../../../server/admin/batch-fan-out.js";
import { LeaderUnreachableError, type LeaderAnswer, type LeaderRequest } from "../../../../server/routing/index.js";

// The part of a batch operation that other nodes lead, over a stub of the forwarder's `ask`.

const id = (): InvocationId => newInvocationId(randomPartitionKey());
const item = (invocationId: InvocationId, partition: number): RemoteItem => ({ id: invocationId, partition, why: `partition ${partition} is not led here` });
const answer = (status: number, body: unknown): LeaderAnswer => ({ leader: "node-2", status, body: Buffer.from(JSON.stringify(body)) });

type Ask = (partition: number, request: LeaderRequest) => Promise<LeaderAnswer | undefined>;
const stub = (ask: Ask) => {
  const asked: Array<{ partition: number; ids: string[]; json: unknown }> = [];
  return {
    asked,
    forwarder: {
      ask: (partition: number, _api: "ingress" | "admin", request: LeaderRequest) => {
        asked.push({ partition, ids: (request.json as { invocation_ids: string[] }).invocation_ids, json: request.json });
        return ask(partition, request);
      },
    },
  };
};

describe("runOnLeaders", () => {
  it("asks each partition's leader once per round, repeats of an id in later rounds, and maps the answers back in order", async () => {
    const [x, y, z] = [id(), id(), id()];
    let roundOneAnswered = false;
    const { asked, forwarder } = stub(async (partition, request) => {
      const ids = (request.json as { invocation_ids: string[] }).invocation_ids;
      if (partition === 2) return answer(200, { succeeded: [z], failed: [] });
      if (ids.length === 2) {
        await new Promise((r) => setTimeout(r, 5));
        roundOneAnswered = true;
        return answer(200, { succeeded: [x], failed: [{ invocation_id: y, error: "not found" }] });
      }
      // The second round waits for the first: the second kill finds the invocation completed.
      expect(roundOneAnswered).toBe(true);
      return answer(200, { succeeded: [], failed: [{ invocation_id: x, error: "already completed" }] });
    });
    const outcomes = await runOnLeaders(forwarder, "kill", [item(x, 1), item(y, 1), item(z, 2), item(x, 1)], undefined);
    expect(outcomes).toEqual([{ ok: true }, { ok: false, error: "not found" }, { ok: true }, { ok: false, error: "already completed" }]);
    expect(asked.map((a) => [a.partition, a.ids])).toEqual([[1, [x, y]], [2, [z]], [1, [x]]]);
    expect(asked[0]!.json).toEqual({ invocation_ids: [x, y] });
  });

  it("carries the deployment, and maps restarted pairs to the new ids", async () => {
    const [x, fresh] = [id(), id()];
    const { asked, forwarder } = stub(async () => answer(200, { succeeded: [{ old_invocation_id: x, new_invocation_id: fresh }], failed: [] }));
    expect(await runOnLeaders(forwarder, "restart-as-new", [item(x, 0)], "latest")).toEqual([{ ok: true, newInvocationId: fresh }]);
    expect(asked[0]!.json).toEqual({ invocation_ids: [x], deployment: "latest" });
  });

  it("fails the ids of a leader that cannot be asked, refuses the request, leaves one out, or of a partition nobody else leads", async () => {
    const [a, b, c, d] = [id(), id(), id(), id()];
    const { forwarder } = stub(async (partition) => {
      if (partition === 0) throw new LeaderUnreachableError(0, "node-2", new Error("connect ECONNREFUSED"));
      if (partition === 1) return answer(400, { message: "The request is invalid", restate_code: null });
      if (partition === 2) return answer(200, { succeeded: [], failed: [] });
      return undefined;
    });
    const outcomes = await runOnLeaders(forwarder, "cancel", [item(a, 0), item(b, 1), item(c, 2), item(d, 3)], undefined);
    expect(outcomes[0]).toEqual({ ok: false, error: expect.stringMatching(/partition 0 is led by node node-2, which could not be reached \(connect ECONNREFUSED\)/) as string });
    expect(outcomes[1]).toEqual({ ok: false, error: "node node-2 refused the operation (400): The request is invalid" });
    expect(outcomes[2]).toEqual({ ok: false, error: `the leader of the invocation '${c}' did not report on it` });
    expect(outcomes[3]).toEqual({ ok: false, error: "partition 3 is not led here" });
  });
});
