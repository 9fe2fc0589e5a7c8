// The package as users get it: `npm pack` this checkout, install the tarball offline into a temp
// folder, and have opencode load the installed package dir (not the checkout) for a login and a chat.
// Catches files missing from package.json "files" or a broken "main"/"exports". The packed `kimi-code`
// CLI (compiled at pack time) runs under plain Node: --help, and status/usage against the emulator.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunningEmulator } from "../../emulator/index.ts";
import { login, logProblems, readAuth, REPO_ROOT, runChat } from "./harness.ts";
import { cleanupHomes, DEVICE_LOGIN, kimiHome, MODEL, pluginErrors, printed, PROVIDER, REPLY, startKimi } from "./kimi.ts";

let emu: RunningEmulator;
let dir = "";

beforeAll(async () => {
  emu = await startKimi();
  dir = mkdtempSync(join(tmpdir(), "okc-e2e-pack-"));
});
afterAll(async () => {
  await emu.stop();
  cleanupHomes();
  rmSync(dir, { recursive: true, force: true });
});

function npm(args: string[], cwd: string): { status: number | null; out: string } {
  const r = spawnSync("npm", args, {
    cwd,
    encoding: "utf8",
    timeout: 120_000,
    // npm's own cache and logs stay in the temp dir; nothing goes online (--offline, no deps).
    env: { ...process.env, npm_config_cache: join(dir, "npm-cache"), npm_config_update_notifier: "false" },
  });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
}

test("the packed and installed package loads in opencode: login and a chat turn work", async () => {
  const packDir = join(dir, "pack");
  const installDir = join(dir, "install");
  mkdirSync(packDir);
  mkdirSync(installDir);

  const pack = npm(["pack", "--pack-destination", packDir, "--silent"], REPO_ROOT);
  expect(pack.status, pack.out).toBe(0);
  const tarballs = readdirSync(packDir).filter((f) => f.endsWith(".tgz"));
  expect(tarballs.length).toBe(1);

  const install = npm(["install", "--offline", "--no-audit", "--no-fund", "--no-save", join(packDir, tarballs[0]!)], installDir);
  expect(install.status, install.out).toBe(0);
  const pkgDir = join(installDir, "node_modules", "opencode-kimi-code");
  expect(existsSync(join(pkgDir, "package.json"))).toBe(true);
  expect(existsSync(join(pkgDir, "src", "server", "index.ts"))).toBe(true);
  // The server plugin as opencode loads it: bundled at pack time (package.json "main"/"exports").
  expect(existsSync(join(pkgDir, "dist", "server", "index.js"))).toBe(true);
  // Only what users need: no tests, no emulator, no dev tooling.
  expect(existsSync(join(pkgDir, "test"))).toBe(false);
  expect(existsSync(join(pkgDir, "emulator"))).toBe(false);
  expect(existsSync(join(pkgDir, "node_modules"))).toBe(false);
  expect(existsSync(join(pkgDir, "dist", "cli", "main.js"))).toBe(true);
  expect(existsSync(join(pkgDir, "CHANGELOG.md"))).toBe(true);
  expect(readdirSync(join(pkgDir, "dist"), { recursive: true }).filter((f) => /\.ts$|test/.test(String(f)))).toEqual([]);

  const home = kimiHome(emu, { pluginPath: pkgDir });
  const loginRes = await login(home, PROVIDER, DEVICE_LOGIN, { timeoutMs: 60_000 });
  expect(loginRes.exitCode, printed(loginRes)).toBe(0);
  expect(printed(loginRes)).toContain("Login successful");
  expect(readAuth(home)?.[PROVIDER]).toMatchObject({ type: "oauth", enterpriseUrl: emu.apiBase });

  const run = await runChat(home, MODEL, "say hello", { variant: "high", timeoutMs: 90_000 });
  expect(run.exitCode, printed(run)).toBe(0);
  expect(run.stdout.trim()).toBe(REPLY);
  const main = emu.state.requestsTo("/coding/v1/chat/completions").find((r) => Array.isArray((r.body as { tools?: unknown }).tools));
  expect((main?.body as Record<string, unknown>).reasoning_effort).toBe("high");
  expect(logProblems(home).filter((l) => l.includes("failed to load plugin"))).toEqual([]);
  expect([...pluginErrors(loginRes.stderr), ...pluginErrors(run.stderr)]).toEqual([]);

  // The CLI from the tarball, through npm's bin link, under plain Node (not bun).
  const bin = join(installDir, "node_modules", ".bin", "kimi-code");
  // Asynchronous: the emulator answers from this process's event loop.
  const node = async (args: string[]) => {
    const p = Bun.spawn(["node", bin, ...args], { cwd: home.cwd, env: { ...home.env, PATH: process.env.PATH ?? "" }, stdout: "pipe", stderr: "pipe" });
    const [status, stdout, stderr] = await Promise.all([p.exited, new Response(p.stdout).text(), new Response(p.stderr).text()]);
    return { status, stdout, stderr };
  };
  const nodeVersion = spawnSync("node", ["--version"], { encoding: "utf8" }).stdout.trim();
  expect(Number(/^v(\d+)/.exec(nodeVersion)?.[1])).toBeGreaterThanOrEqual(20);
  const help = await node(["--help"]);
  expect(help.status, help.stderr).toBe(0);
  expect(help.stdout).toContain("Usage: kimi-code <command>");
  const status = await node(["status", "--json"]);
  expect(status.status, status.stderr).toBe(0);
  expect(JSON.parse(status.stdout)).toMatchObject({ loggedIn: true, login: { type: "oauth", apiBase: emu.apiBase } });
  const usage = await node(["usage"]);
  expect(usage.status, usage.stderr).toBe(0);
  expect(usage.stdout).toMatch(/5h limit\s+\[/);
  expect(usage.stderr).toBe("");
}, 180_000);
