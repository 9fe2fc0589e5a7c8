// Drives the real opencode TUI in a detached tmux session (own tmux server socket, fixed size) for the
// TUI e2e test and README captures: start, type, read the screen. Throws if tmux is missing (CI
// installs it, .ci/run); never leaves a session behind once `kill` ran.
import { spawnSync } from "node:child_process";
import { OPENCODE_BIN, type OpencodeHome } from "./opencode-sandbox.ts";

export interface TuiSession {
  socket: string;
  name: string;
}

function tmux(socket: string, args: string[]): string {
  const r = spawnSync("tmux", ["-L", socket, "-f", "/dev/null", ...args], { encoding: "utf8", timeout: 30_000 });
  if (r.error) throw new Error(`tmux ${args[0]} failed: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`tmux ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

export function requireTmux(): void {
  const r = spawnSync("tmux", ["-V"], { encoding: "utf8" });
  if (r.error || r.status !== 0) {
    throw new Error("tmux is not installed: the TUI e2e test needs it (apt-get install -y tmux; .ci/run installs it)");
  }
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Starts `opencode` (the TUI) in `home.cwd` with the isolated env, in a 160×50 tmux window. */
export function startTui(home: OpencodeHome, extraEnv: Record<string, string> = {}): TuiSession {
  requireTmux();
  const session: TuiSession = { socket: `okc-tui-${process.pid}-${Date.now()}`, name: "tui" };
  const env = { ...home.env, ...extraEnv, TERM: "xterm-256color", COLORTERM: "truecolor" };
  const assignments = Object.entries(env).map(([k, v]) => `${k}=${quote(v)}`).join(" ");
  const command = `cd ${quote(home.cwd)} && exec env -i ${assignments} ${quote(OPENCODE_BIN)}`;
  tmux(session.socket, ["new-session", "-d", "-s", session.name, "-x", "160", "-y", "50", command]);
  return session;
}

/** The visible screen as text. */
export function capture(s: TuiSession): string {
  return tmux(s.socket, ["capture-pane", "-p", "-t", s.name]);
}

/** Types literal text (no Enter). */
export function typeText(s: TuiSession, text: string): void {
  tmux(s.socket, ["send-keys", "-t", s.name, "-l", text]);
}

/** Sends named keys, e.g. "Enter", "Escape". */
export function pressKey(s: TuiSession, ...keys: string[]): void {
  tmux(s.socket, ["send-keys", "-t", s.name, ...keys]);
}

/** Polls the screen until `ready` holds; throws with the last screen after `timeoutMs`. */
export async function waitForScreen(s: TuiSession, ready: (screen: string) => boolean, timeoutMs: number, what: string): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let screen = "";
  while (Date.now() < deadline) {
    try {
      screen = capture(s);
    } catch (error) {
      throw new Error(`the TUI session ended while waiting for ${what}: ${(error as Error).message}\nlast screen:\n${screen}`);
    }
    if (ready(screen)) return screen;
    await Bun.sleep(500);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last screen:\n${screen}`);
}

/** Kills the tmux server of this session (and opencode in it). Safe to call twice. */
export function kill(s: TuiSession | undefined): void {
  if (!s) return;
  spawnSync("tmux", ["-L", s.socket, "-f", "/dev/null", "kill-server"], { timeout: 30_000 });
}
