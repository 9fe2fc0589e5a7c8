// An expected failure of a command: shown as its message and hint, never with a stack trace.

export class CliError extends Error {
  constructor(
    message: string,
    /** The next step for the user, on its own line. */
    readonly hint?: string,
    /** Process exit status: 1 for a failure, 2 for wrong usage. */
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = "CliError";
  }
}
