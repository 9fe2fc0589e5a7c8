// A short soak (npm run soak runs the long one): several plugin processes on one login with
// single-use refresh tokens and short-lived access tokens, processes SIGKILLed and restarted while no
// one holds the refresh lock. Nothing may fail and the login must survive. (Kills of a lock holder
// can land between Kimi's rotation and the save; the long soak counts those apart, bench/SOAK.md.)
import { expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { tempDir } from "./helpers/tmp.ts";

test("3 processes × 20 s, tokens living 5 s, random kills: no failure, no invalid_grant, the login survives", async () => {
  const out = join(await tempDir("okc-soak-out-"), "SOAK.md");
  const args = ["--seconds", "20", "--processes", "3", "--token-lifetime", "5", "--kill-every", "4", "--lock-kill-probability", "0", "--out", out];
  const r = spawnSync(process.execPath, [resolve(import.meta.dir, "../bench/soak.ts"), ...args], { encoding: "utf8", timeout: 180_000 });
  expect(r.status).toBe(0);
  const md = readFileSync(out, "utf8");
  const figure = (name: string) => new RegExp(`\\| ${name} \\| ([^|]+) \\|`).exec(md)?.[1]?.trim();
  expect(Number(figure("requests sent"))).toBeGreaterThan(0);
  expect(figure("failed")).toBe("0");
  expect(Number(figure("refresh grants answered 200"))).toBeGreaterThan(0);
  expect(figure("refresh grants refused \\(`invalid_grant`\\)")).toBe("0");
  expect(figure("logins lost \\(the stored refresh token spent; the soak logs in again\\)")).toBe("0");
  expect(figure("login works at the end")).toBe("yes");
  expect(figure("files \\(logs, cache, locks; not auth.json\\) holding any of the \\d+ issued tokens")).toBe("0");
  expect(figure("plugin files not 0600")).toBe("0");
  expect(Number(figure("processes killed / of them holding the refresh lock")?.split(" / ")[0])).toBeGreaterThan(0);
}, 200_000);
