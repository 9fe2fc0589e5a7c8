// The plugin's only way to report, never with a token in it. Inside opencode, lines go to opencode's
// own log (client.app.log → $XDG_DATA_HOME/opencode/log/, service "opencode-kimi-code"), because
// stderr writes would land in the middle of the TUI; errors also go to stderr (they are rare and the
// user needs them, e.g. why a login failed), and with KIMI_CODE_DEBUG=1 everything does.

export type LogLevel = "debug" | "info" | "warn" | "error";
export type Logger = (level: LogLevel, message: string, extra?: Record<string, unknown>) => void;

const TOKEN_LIKE = /\b(eyJ[\w-]+\.[\w-]+\.[\w-]*|sk-kimi-[\w-]+|Bearer\s+[^\s"',;]+)/gi;

/** Masks anything shaped like a JWT, a Kimi API key or a bearer credential. */
export function redact(text: string): string {
  return text.replace(TOKEN_LIKE, (m) => `${m.slice(0, 6)}…[redacted]`);
}

function debugEnabled(): boolean {
  const v = process.env.KIMI_CODE_DEBUG;
  return v !== undefined && v !== "" && v !== "0" && v.toLowerCase() !== "false";
}

let sink: (line: string) => void = (line) => process.stderr.write(line + "\n");

export type LogForwarder = (level: LogLevel, message: string, extra?: Record<string, unknown>) => unknown;
let forward: LogForwarder | undefined;

/** Sends log entries to opencode's logger (undefined: back to stderr only). */
export function forwardLogsTo(next: LogForwarder | undefined): void {
  forward = next;
}

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
  line = redact(line);
  const toSink = () => {
    try {
      sink(line);
    } catch {
      // logging must never throw into opencode
    }
  };
  if (!forward) return toSink();
  if (level === "error" || debugEnabled()) toSink();
  try {
    const safeExtra = extra ? (JSON.parse(redact(JSON.stringify(extra))) as Record<string, unknown>) : undefined;
    const pending = forward(level, redact(message), safeExtra);
    if (pending instanceof Promise) pending.catch(() => level !== "error" && toSink());
  } catch {
    if (level !== "error") toSink();
  }
};
