// The shape of a command module, and what a running command gets.
import type { Setup } from "./setup.ts";
import type { Style } from "./ui.ts";

export interface OptionSpec {
  type: "boolean" | "string";
  short?: string;
  description: string;
}

export interface RunContext {
  setup: Setup;
  flags: Record<string, string | boolean | undefined>;
  json: boolean;
  style: Style;
  /** One line (or block) to stdout. */
  print(text: string): void;
  /** Progress and notes to stderr (kept out of --json output). */
  note(text: string): void;
}

export interface Command {
  name: string;
  summary: string;
  /** Longer help text after the usage line. */
  description: string;
  options: Record<string, OptionSpec>;
  /** Resolves to the exit status. Throws CliError for expected failures. */
  run(ctx: RunContext): Promise<number>;
}

/** Prints `value` as the command's --json output. */
export function printJson(ctx: RunContext, value: unknown): void {
  ctx.print(JSON.stringify(value, null, 2));
}
