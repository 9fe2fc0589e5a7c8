// The plugin's only way to report: one line to stderr, prefixed, never a token.
// opencode mirrors plugin stderr into its log with --print-logs; the TUI does not show it.

export type LogLevel = "debug" | "info" | "warn" | "error";
export type Logger = (level: LogLevel, message: string, extra?: Record<string, unknown>) => void;

const TOKEN_LIKE = /\b(eyJ[\w-]+\.[\w-]+\.[\w-]*|sk-kimi-[\w-]+)/g;

/** Masks anything shaped like a JWT or a Kimi API key. */
export function redact(text: string): string {
  return text.replace(TOKEN_LIKE, (m) => `${m.slice(0, 6)}…[redacted]`);
}

function debugEnabled(): boolean {
  const v = process.env.KIMI_CODE_DEBUG;
  return v !== undefined && v !== "" && v !== "0" && v.toLowerCase() !== "false";
}

let sink: (line: string) => void = (line) => process.stderr.write(line + "\n");

/** Tests capture log lines with this. */
export function setLogSink(next: (line: string) => void): () => void {
  const previous = sink;
  sink = next;
  return () => {
    sink = previous;
  };
}

export const log: Logger = (level, message, extra) => {
  if (level === "debug" && !debugEnabled()) return;
  let line = `[opencode-kimi-code] ${level}: ${message}`;
  if (extra && Object.keys(extra).length > 0) {
    try {
      line += " " + JSON.stringify(extra);
    } catch {
      // unserialisable extras are dropped, the message still goes out
    }
  }
  try {
    sink(redact(line));
  } catch {
    // logging must never throw into opencode
  }
};
