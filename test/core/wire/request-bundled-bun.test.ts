// Issue 8 F1 under the runtime opencode really runs the plugin in: opencode 1.18.33's bundled bun
// 1.3.14 quotes a rejected header value (the whole `Bearer <key>`) in its TypeError, which the dev
// bun does not. The fixture runs there via `BUN_BE_BUN=1 opencode <script>`.
import { expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { OPENCODE_BIN } from "../../../scripts/opencode-sandbox.ts";

const SCRIPT = join(import.meta.dir, "..", "..", "fixtures", "bad-key-request.ts");
const SECRET_TAIL = "SECRETTAIL0123456789abcdef";

test("under opencode's bundled bun, a key with a zero-width space gives a final error and never shows the key", async () => {
  expect(existsSync(OPENCODE_BIN)).toBe(true); // npm ci installs it; without it this test must fail, not skip
  const proc = Bun.spawn([OPENCODE_BIN, SCRIPT, `sk-kimi-abcdefgh\u200b${SECRET_TAIL}`], {
    env: { PATH: process.env.PATH ?? "", HOME: "/nonexistent-home", BUN_BE_BUN: "1" },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  expect({ code, stderr: stderr.includes(SECRET_TAIL) }).toEqual({ code: 0, stderr: false });
  expect(stdout).not.toContain(SECRET_TAIL);
  const out = JSON.parse(stdout.trim().split("\n").pop() ?? "{}") as {
    bun: string;
    chat: { status?: number; body?: string; rejected?: string };
    models: { rejected?: string };
    requests: number;
  };
  expect(out.bun).toBe("1.3.14");
  expect(out.chat.rejected).toBeUndefined();
  expect(out.chat.status).toBe(401);
  expect(out.chat.body).toContain("invisible or invalid character");
  expect(out.models.rejected).toContain("zero-width");
  expect(out.requests).toBe(0);
}, 60_000);
