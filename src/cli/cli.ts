// `kimi-code`: argument parsing (node:util parseArgs), help, dispatch, and the one place errors
// become output. Expected failures (CliError, KimiError) print their message and hint, no stack.
import { parseArgs } from "node:util";
import { PLUGIN_NAME, PLUGIN_VERSION } from "../core/config/constants.ts";
import { KimiError } from "../core/support/errors.ts";
import { setLogSink } from "../core/support/log.ts";
import { CliError } from "./cli-error.ts";
import type { Command, OptionSpec, RunContext } from "./command.ts";
import { doctor } from "./commands/doctor.ts";
import { login } from "./commands/login.ts";
import { logout } from "./commands/logout.ts";
import { models } from "./commands/models.ts";
import { status } from "./commands/status.ts";
import { usage } from "./commands/usage.ts";
import { loadSetup, type Io } from "./setup.ts";
import { styleFor } from "./ui.ts";

export const COMMANDS: readonly Command[] = [status, usage, models, doctor, login, logout];

const COMMON: Record<string, OptionSpec> = {
  json: { type: "boolean", description: "machine-readable JSON on stdout" },
  "no-color": { type: "boolean", description: "no colour (also: NO_COLOR=1; colour is only used on a terminal)" },
  help: { type: "boolean", short: "h", description: "this help" },
};

function optionLines(options: Record<string, OptionSpec>): string[] {
  return Object.entries(options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : "    "}--${name}${o.type === "string" ? " <value>" : ""}`;
    return `  ${flag.padEnd(24)} ${o.description}`;
  });
}

export function globalHelp(): string {
  return [
    `kimi-code ${PLUGIN_VERSION}: your Kimi Code account for opencode (${PLUGIN_NAME})`,
    "",
    "Usage: kimi-code <command> [options]",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`),
    "",
    "Options for every command:",
    ...optionLines(COMMON),
    "  -V, --version            print the version",
    "",
    "Run `kimi-code <command> --help` for a command's options.",
    "Exit status: 0 all good, 1 something failed, 2 wrong usage.",
  ].join("\n");
}

export function commandHelp(c: Command): string {
  return [
    `Usage: kimi-code ${c.name} [options]`,
    "",
    `${c.summary[0]!.toUpperCase()}${c.summary.slice(1)}.`,
    c.description,
    "",
    "Options:",
    ...optionLines({ ...c.options, ...COMMON }),
  ].join("\n");
}

function usageError(message: string, help: string): CliError {
  return new CliError(message, help, 2);
}

function debugOn(io: Io): boolean {
  const v = io.env.KIMI_CODE_DEBUG;
  return v !== undefined && v !== "" && v !== "0" && v.toLowerCase() !== "false";
}

function report(error: unknown, io: Io, json: boolean): number {
  const expected = error instanceof CliError || error instanceof KimiError;
  const message = expected ? error.message : `unexpected error: ${(error as Error)?.message ?? String(error)}`;
  const hint = error instanceof CliError ? error.hint : expected ? undefined : "Set KIMI_CODE_DEBUG=1 for details, and report it with the output of `kimi-code doctor`.";
  if (json) io.out(JSON.stringify({ error: { message, ...(hint ? { hint } : {}) } }, null, 2));
  else io.err(`kimi-code: ${message}${hint ? `\n${hint}` : ""}`);
  if (!expected && debugOn(io) && error instanceof Error && error.stack) io.err(error.stack);
  return error instanceof CliError ? error.exitCode : 1;
}

export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  const restoreLog = setLogSink((line) => (debugOn(io) ? io.err(line) : undefined));
  const json = argv.includes("--json");
  try {
    const [name, ...rest] = argv;
    if (name === undefined) {
      io.err(globalHelp());
      return 2;
    }
    if (name === "--help" || name === "-h" || name === "help") {
      const c = COMMANDS.find((x) => x.name === rest[0]);
      io.out(c ? commandHelp(c) : globalHelp());
      return 0;
    }
    if (name === "--version" || name === "-V") {
      io.out(PLUGIN_VERSION);
      return 0;
    }
    const command = COMMANDS.find((c) => c.name === name);
    if (!command) throw usageError(`unknown command "${name}"`, "Run `kimi-code --help` for the list of commands.");

    let values: Record<string, string | boolean | undefined>;
    try {
      ({ values } = parseArgs({ args: [...rest], options: { ...command.options, ...COMMON }, strict: true, allowPositionals: false }));
    } catch (error) {
      throw usageError((error as Error).message, `Run \`kimi-code ${command.name} --help\` for its options.`);
    }
    if (values.help) {
      io.out(commandHelp(command));
      return 0;
    }
    const setup = loadSetup(io);
    const ctx: RunContext = {
      setup,
      flags: values,
      json: values.json === true,
      style: styleFor(io.isTTY, io.env, values["no-color"] === true),
      print: io.out,
      note: io.err,
    };
    return await command.run(ctx);
  } catch (error) {
    return report(error, io, json);
  } finally {
    restoreLog();
  }
}
