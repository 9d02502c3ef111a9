import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { SilentAttemptAction } from "../../../invoker/invoker-events.js";
import { SilenceWatch } from "../../../invoker/silence-watch.js";

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

function watch(options: { warnAfterMs?: number; suspendAfterMs?: number; abortAfterMs?: number } = {}) {
  const log: string[] = [];
  const silent: Array<{ silentMs: number } & SilentAttemptAction> = [];
  const w = new SilenceWatch({
    warnAfterMs: options.warnAfterMs ?? 60_000,
    suspendAfterMs: options.suspendAfterMs ?? 0,
    abortAfterMs: options.abortAfterMs ?? 0,
    writable: () => true,
    askToSuspend: () => log.push(`suspend@${Date.now()}`),
    abort: () => log.push(`abort@${Date.now()}`),
    onSilent: (silentMs, action) => silent.push({ silentMs, ...action }),
  });
  return { w, log, silent };
}

describe("silence watch", () => {
  it("warns once after a minute of silence of a request/response attempt, and again after the next silence", () => {
    vi.setSystemTime(0);
    const { w, silent } = watch();
    vi.advanceTimersByTime(59_999);
    expect(silent).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(silent).toEqual([{ silentMs: 60_000, next: "waiting" }]);
    vi.advanceTimersByTime(300_000);
    expect(silent).toHaveLength(1);
    // The service speaks: a new minute of silence is a new warning.
    w.heard();
    vi.advanceTimersByTime(60_000);
    expect(silent).toHaveLength(2);
    w.clear();
  });

  it("does not warn while the service keeps speaking within the minute", () => {
    const { w, silent } = watch();
    for (let i = 0; i < 10; i++) {
      vi.advanceTimersByTime(50_000);
      w.heard();
    }
    expect(silent).toEqual([]);
    w.clear();
  });

  it("asks a silent bidirectional attempt to suspend at the inactivity timeout, warns with what comes next, then cuts it", () => {
    vi.setSystemTime(0);
    const { w, log, silent } = watch({ suspendAfterMs: 60_000, abortAfterMs: 60_000 });
    w.responded();
    vi.advanceTimersByTime(60_000);
    expect(log).toEqual(["suspend@60000"]);
    expect(silent).toEqual([{ silentMs: 60_000, next: "asked-to-suspend", abortInMs: 60_000 }]);
    vi.advanceTimersByTime(60_000);
    expect(log).toEqual(["suspend@60000", "abort@120000"]);
    w.clear();
  });

  it("warns before a longer inactivity timeout, naming when stet will ask to suspend", () => {
    vi.setSystemTime(0);
    const { w, log, silent } = watch({ suspendAfterMs: 300_000, abortAfterMs: 60_000 });
    w.responded();
    vi.advanceTimersByTime(60_000);
    expect(silent).toEqual([{ silentMs: 60_000, next: "waiting", suspendInMs: 240_000 }]);
    expect(log).toEqual([]);
    vi.advanceTimersByTime(240_000);
    expect(log).toEqual(["suspend@300000"]);
    w.clear();
  });

  it("fires nothing after clear", () => {
    const { w, log, silent } = watch({ suspendAfterMs: 1000, abortAfterMs: 1000 });
    w.responded();
    w.clear();
    vi.advanceTimersByTime(600_000);
    expect(log).toEqual([]);
    expect(silent).toEqual([]);
  });
});
