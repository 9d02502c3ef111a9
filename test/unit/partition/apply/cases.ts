import { describe } from "vitest";
import type { ControlOp, PartitionCommand, PartitionMessage } from "../../../../partition/index.js";
import type { MessageTypeName } from "../../../../protocol/index.js";

/**
 * Everything the apply step takes: each command kind, and within the three that fan out, each operator
 * action, each partition message and each command a service can journal. Derived from the source's own
 * unions, so a kind added there fails to type-check below until a test file covers it.
 */
export type ApplyCase =
  | PartitionCommand["kind"]
  | `control ${ControlOp}`
  | `message ${PartitionMessage["kind"]}`
  | `journal ${Extract<MessageTypeName, `${string}Command`>}`;

type Theme = "invoke" | "effects" | "state" | "promises" | "calls" | "timers" | "control" | "restart-as-new" | "messages";

/** The test file (`<theme>.test.ts`) that covers each case. */
const THEME_OF = {
  invoke: "invoke",
  journal: "effects",
  "run-completion": "effects",
  end: "effects",
  suspended: "effects",
  "attempt-failed": "effects",
  "journal InputCommand": "state",
  "journal OutputCommand": "state",
  "journal RunCommand": "state",
  "journal SetStateCommand": "state",
  "journal ClearStateCommand": "state",
  "journal ClearAllStateCommand": "state",
  "journal GetLazyStateCommand": "state",
  "journal GetLazyStateKeysCommand": "state",
  "journal GetEagerStateCommand": "state",
  "journal GetEagerStateKeysCommand": "state",
  "mutate-state": "state",
  "journal GetPromiseCommand": "promises",
  "journal PeekPromiseCommand": "promises",
  "journal CompletePromiseCommand": "promises",
  "journal CallCommand": "calls",
  "journal OneWayCallCommand": "calls",
  "journal SendSignalCommand": "calls",
  "journal CompleteAwakeableCommand": "calls",
  "journal AttachInvocationCommand": "calls",
  "journal GetInvocationOutputCommand": "calls",
  "journal SleepCommand": "timers",
  "fire-timers": "timers",
  expire: "timers",
  control: "control",
  "control cancel": "control",
  "control kill": "control",
  "control purge": "control",
  "control pause": "control",
  "control resume": "control",
  "restart-as-new": "restart-as-new",
  deliver: "messages",
  message: "messages",
  "message invoke": "messages",
  "message notify": "messages",
  "message cancel": "messages",
  "message kill": "messages",
  "message await-outcome": "messages",
  "message outcome": "messages",
} as const satisfies Record<ApplyCase, Theme>;

type CasesOf<T extends Theme> = { readonly [K in ApplyCase as (typeof THEME_OF)[K] extends T ? K : never]: () => void };

/** One `describe` per case of `theme`; the type demands a suite for every case the table gives it. */
export function describeCases<T extends Theme>(_theme: T, suites: CasesOf<T>): void {
  for (const [name, suite] of Object.entries(suites) as Array<[string, () => void]>) describe(name, suite);
}
