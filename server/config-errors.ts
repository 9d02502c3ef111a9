import { StetError } from "../protocol/errors.js";

/**
 * Coded errors for startup configuration and the data folder. Codes are stable: the CLI maps
 * them to exit codes (a ConfigError is a usage error, exit 2; the others exit 1) and tests pin them.
 */
export const CONFIG_ERROR_CODES = {
  /** One or more flags or environment variables are invalid; `problems` lists each. */
  invalid: "STET_CONFIG_INVALID",
  /** Requested settings contradict the ones the data folder was created with. */
  dataDirConflict: "STET_DATA_DIR_CONFLICT",
  /** stet.json was written by a newer stet than this one. */
  dataDirUnsupportedFormat: "STET_DATA_DIR_UNSUPPORTED_FORMAT",
  /** stet.json exists but is unreadable or malformed, or the path is not a folder. */
  dataDirInvalid: "STET_DATA_DIR_INVALID",
  /** The folder is not a stet data folder (no stet.json) and stet will not adopt or delete it. */
  dataDirForeign: "STET_DATA_DIR_FOREIGN",
  /** A running stet (or a wipe under way) holds the folder: starting or wiping it must wait. */
  dataDirInUse: "STET_DATA_DIR_IN_USE",
} as const;

/** One invalid setting: which flag or env var, the value given, and what is wrong with it. */
export interface ConfigProblem {
  /** The flag (`--ingress-port`) or environment variable (`STET_INGRESS_PORT`) that held the value. */
  readonly source: string;
  /** The value as given; undefined when the problem is a combination of settings. */
  readonly value: string | undefined;
  readonly message: string;
}

export function formatProblem(problem: ConfigProblem): string {
  if (problem.value === undefined) return `${problem.source}: ${problem.message}`;
  return `${problem.source} ${JSON.stringify(problem.value)}: ${problem.message}`;
}

/** Every configuration problem found, reported together so a user fixes them in one go. */
export class ConfigError extends StetError {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    const lines = problems.map((p) => `  - ${formatProblem(p)}`);
    const noun = problems.length === 1 ? "problem" : "problems";
    super(CONFIG_ERROR_CODES.invalid, [`invalid configuration (${problems.length} ${noun}):`, ...lines].join("\n"), {
      status: 400,
    });
    this.name = "ConfigError";
    this.problems = Object.freeze([...problems]);
  }
}

/** Persisted topology wins over flags: starting with conflicting settings fails and changes nothing. */
export class DataDirConflictError extends StetError {
  constructor(message: string) {
    super(CONFIG_ERROR_CODES.dataDirConflict, message, { status: 409 });
    this.name = "DataDirConflictError";
  }
}

/** Any other refusal to use or wipe a data folder; `code` says which. */
export class DataDirError extends StetError {
  constructor(
    code:
      | typeof CONFIG_ERROR_CODES.dataDirUnsupportedFormat
      | typeof CONFIG_ERROR_CODES.dataDirInvalid
      | typeof CONFIG_ERROR_CODES.dataDirForeign,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(code, message, { status: 500, ...options });
    this.name = "DataDirError";
  }
}

/** Another process holds the data folder's lock; `holder` says who, as far as its record tells. */
export class DataDirInUseError extends StetError {
  constructor(dir: string, holder: string, act: "start" | "wipe", cause?: unknown) {
    const advice = act === "wipe" ? "stop it first (SIGTERM), then wipe the folder" : "stop it first, or use another --data-dir";
    super(CONFIG_ERROR_CODES.dataDirInUse, `data folder ${dir} is in use by ${holder}; ${advice}`, { status: 409, cause });
    this.name = "DataDirInUseError";
  }
}
