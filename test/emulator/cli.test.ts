import { expect, test } from "bun:test";
import { join } from "node:path";
import { startDeviceLogin } from "./helpers.ts";

const CLI = join(import.meta.dir, "../../emulator/cli.ts");

/** Reads the child's stdout until `pattern` matches the accumulated text; bounded by `timeoutMs`. */
async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, seen: { text: string }, pattern: RegExp, timeoutMs = 5000) {
  const decoder = new TextDecoder();
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(seen.text)) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`timed out waiting for ${pattern}; got:\n${seen.text}`);
    const next = await Promise.race([reader.read(), Bun.sleep(left).then(() => null)]);
    if (next === null) continue;
    if (next.done) throw new Error(`stdout ended before ${pattern}; got:\n${seen.text}`);
    seen.text += decoder.decode(next.value, { stream: true });
  }
  return pattern.exec(seen.text)!;
}

test("the CLI prints the URLs and env vars, the user code of a new login, and stops on SIGTERM", async () => {
  const child = Bun.spawn([process.execPath, CLI, "--api-key", "sk-kimi-clitest", "--token-lifetime", "60"], {
    stdout: "pipe",
    stderr: "pipe",
  });
  try {
    const reader = child.stdout.getReader();
    const seen = { text: "" };
    const env = await readUntil(reader, seen, /KIMI_CODE_OAUTH_HOST=(\S+) KIMI_CODE_BASE_URL=(\S+)/);
    const [, oauthHost, apiBase] = env as unknown as [string, string, string];
    expect(seen.text).toContain(`OAuth host: ${oauthHost}`);
    expect(seen.text).toContain(`API base:   ${apiBase}`);
    expect(apiBase).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/coding\/v1$/);

    const models = await fetch(`${apiBase}/models`, { headers: { authorization: "Bearer sk-kimi-clitest" } });
    expect(models.status).toBe(200);

    const login = await startDeviceLogin({ oauthHost } as never);
    const line = await readUntil(reader, seen, /user code ([A-Z]{4}-\d{4})/);
    expect(line[1]).toBe(login.json.user_code);
    expect(seen.text).toContain("auto-approves after 2 polls");

    child.kill("SIGTERM");
    expect(await child.exited).toBe(0);
  } finally {
    child.kill("SIGKILL");
  }
});

test("--help prints usage; a bad flag exits 2", async () => {
  const help = Bun.spawn([process.execPath, CLI, "--help"], { stdout: "pipe" });
  expect(await help.exited).toBe(0);
  const text = await new Response(help.stdout).text();
  for (const flag of ["--port", "--oauth-port", "--token-lifetime", "--api-key"]) expect(text).toContain(flag);

  const bad = Bun.spawn([process.execPath, CLI, "--api-key", "not-a-kimi-key"], { stdout: "pipe", stderr: "pipe" });
  expect(await bad.exited).toBe(2);
  expect(await new Response(bad.stderr).text()).toContain("sk-kimi-");
});
