import path from "node:path";
import readline from "node:readline";
import { Command, CommanderError, type Option } from "commander";
import { StetError } from "../protocol/errors.js";
import { ConfigError, type ConfigProblem } from "./config-errors.js";
import { SETTINGS, parseStartConfig, parseWipeConfig, type SettingSpec } from "./config.js";
import { checkDataDir } from "./data-dir.js";
import { stetVersion } from "./version.js";

/** Exit codes: 1 = the command failed, 2 = it was used wrongly (bad flags or values, missing --yes). */
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

/** A command's outcome: an exit code, or undefined when the server decided the exit itself. */
type Outcome = number | undefined;

async function main(argv: readonly string[]): Promise<Outcome> {
  let outcome: Outcome;
  const program = buildProgram((o) => {
    outcome = o;
  });
  try {
    await program.parseAsync([...argv]);
  } catch (err) {
    // Commander has already printed its message (or the help/version text).
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT_USAGE;
    return reportFailure(err);
  }
  return outcome;
}

function buildProgram(done: (outcome: Outcome) => void): Command {
  const program = new Command("stet")
    .description("stet: a durable invocation engine, wire-compatible with Restate")
    .version(stetVersion(), "-V, --version", "print the version")
    .helpOption("-h, --help", "print help")
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`stet: ${text.replace(/^error: /, "")}`) })
    // Options take an optional value so that a forgotten value is collected with every other problem
    // instead of aborting the parse; help still shows the value as required.
    .configureHelp({ optionTerm: (option: Option) => option.flags.replace(/\[(\w+)\]/, "<$1>") });

  const start = program
    .command("start")
    .description("start the server (creates the data folder on first start, resumes it afterwards)")
    .allowUnknownOption()
    .allowExcessArguments()
    .showHelpAfterError("(run 'stet start --help' for the options)");
  for (const spec of Object.values(SETTINGS)) start.option(`${spec.flag} [${spec.valueName}]`, spec.description);
  start.addHelpText(
    "after",
    `\nEach option can also be set by an environment variable; a flag wins over its variable:\n${envHelp(Object.values(SETTINGS))}`,
  );
  start.action(async (flags: Record<string, unknown>, cmd: Command) => done(await startCommand(flags, cmd.args)));

  program
    .command("wipe")
    .description("delete a stopped stet's data folder files (stet.json, stet.db*, stet.lock, stet.owner.json, queue-spill/), then the folder if empty")
    .option(`${SETTINGS.dataDir.flag} [${SETTINGS.dataDir.valueName}]`, SETTINGS.dataDir.description)
    .option("-y, --yes", "do not ask for confirmation (required when stdin is not a terminal)")
    .allowUnknownOption()
    .allowExcessArguments()
    .addHelpText("after", `\nEnvironment:\n${envHelp([SETTINGS.dataDir])}`)
    .action(async (flags: Record<string, unknown>, cmd: Command) => done(await wipeCommand(flags, cmd.args)));

  return program;
}

async function startCommand(flags: Record<string, unknown>, leftovers: readonly string[]): Promise<Outcome> {
  let config;
  try {
    config = withLeftovers(leftovers, "start", () => parseStartConfig(flags, process.env));
    // Read-only check before anything binds a port: a conflicting data folder fails with nothing changed.
    checkDataDir(config.dataDir, config.store === undefined ? { partitions: config.partitions } : {});
  } catch (err) {
    return reportFailure(err, "start");
  }
  try {
    // Loaded only here: --help, --version and wipe need neither the server graph nor its native SQLite driver.
    const { runServer } = await import("./run-server.js");
    await runServer(config);
  } catch (err) {
    return reportFailure(err, "start");
  }
  return undefined;
}

async function wipeCommand(flags: Record<string, unknown>, leftovers: readonly string[]): Promise<Outcome> {
  try {
    const { dataDir } = withLeftovers(leftovers, "wipe", () => parseWipeConfig(flags, process.env));
    // Loaded only here: it needs the native SQLite driver to take the folder's lock.
    const { checkWipeable, wipeDataDir } = await import("./wipe-data-dir.js");
    // Refuses a foreign folder before asking anything.
    if (checkWipeable(dataDir) === "missing") {
      process.stdout.write(`nothing to wipe: ${dataDir} does not exist\n`);
      return 0;
    }
    if (flags["yes"] !== true) {
      if (!process.stdin.isTTY) {
        process.stderr.write(
          `stet wipe: refusing to delete ${dataDir} without confirmation: stdin is not a terminal; pass --yes to confirm\n`,
        );
        return EXIT_USAGE;
      }
      const name = path.basename(dataDir);
      const answer = await ask(
        `This permanently deletes the stet data in ${dataDir}.\nType the folder name (${name}) to confirm: `,
      );
      if (answer.trim() !== name && answer.trim() !== dataDir) {
        process.stderr.write("stet wipe: cancelled, nothing was deleted\n");
        return EXIT_FAILURE;
      }
    }
    const result = wipeDataDir(dataDir);
    for (const file of result.removed) process.stdout.write(`removed ${file}\n`);
    process.stdout.write(
      result.removedDir ? `removed ${result.dir}\n` : `kept ${result.dir}: it holds files that are not stet's\n`,
    );
    return 0;
  } catch (err) {
    return reportFailure(err, "wipe");
  }
}

/**
 * Reports unknown options and stray arguments together with the value problems, as one ConfigError.
 * The token after an unknown option is taken to be its value rather than reported again.
 */
function withLeftovers<T>(leftovers: readonly string[], command: string, parse: () => T): T {
  const problems: ConfigProblem[] = [];
  let afterUnknownOption = false;
  for (const arg of leftovers) {
    if (arg.length > 1 && arg.startsWith("-")) {
      problems.push({ source: arg.split("=")[0]!, value: undefined, message: "unknown option" });
      afterUnknownOption = !arg.includes("=");
    } else if (afterUnknownOption) {
      afterUnknownOption = false;
    } else {
      problems.push({ source: "argument", value: arg, message: `unexpected: stet ${command} takes no arguments` });
    }
  }
  let parsed: T | undefined;
  let valueProblems: readonly ConfigProblem[] = [];
  try {
    parsed = parse();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    valueProblems = err.problems;
  }
  const all = [...problems, ...valueProblems];
  if (all.length > 0) throw new ConfigError(all);
  return parsed as T;
}

/** Prints an error the way its kind deserves and returns the exit code. Stack traces only for bugs. */
function reportFailure(err: unknown, command?: string): number {
  const prefix = command === undefined ? "stet" : `stet ${command}`;
  if (err instanceof ConfigError) {
    const help = command === undefined ? "stet --help" : `stet ${command} --help`;
    process.stderr.write(`${prefix}: ${err.message}\n(run '${help}' for the options)\n`);
    return EXIT_USAGE;
  }
  if (err instanceof StetError) {
    process.stderr.write(`${prefix}: ${err.message} [${err.code}]\n`);
    return EXIT_FAILURE;
  }
  const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`${prefix}: unexpected error: ${detail}\n`);
  return EXIT_FAILURE;
}

/** Asks one question on the terminal; an early end of input (Ctrl-D) counts as an empty answer. */
function ask(question: string): Promise<string> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  return new Promise((resolve) => {
    let answered = false;
    // Ctrl-C at the prompt cancels; without a listener readline would only pause stdin and exit 0.
    rl.on("SIGINT", () => rl.close());
    rl.on("close", () => {
      if (!answered) resolve("");
    });
    rl.question(question, (answer) => {
      answered = true;
      rl.close();
      resolve(answer);
    });
  });
}

function envHelp(specs: readonly SettingSpec[]): string {
  return specs.map((spec) => `  ${spec.env.padEnd(24)}${spec.flag}`).join("\n");
}

// No top-level await: the bin runs this file bundled as a CommonJS script (see server/launcher.ts).
void main(process.argv)
  .catch((err: unknown) => reportFailure(err))
  .then((outcome) => {
    if (outcome === undefined) return;
    process.exitCode = outcome;
    // A failed start may leave a handle open (a half-bound port); do not let it keep a failed process alive.
    if (outcome !== 0) setTimeout(() => process.exit(), 2_000).unref();
  });
