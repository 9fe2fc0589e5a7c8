import { afterEach, expect, test } from "bun:test";
import { forwardLogsTo, log, redact, setLogSink } from "../../../src/core/support/log.ts";

const JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl";
let restore: (() => void) | undefined;
afterEach(() => {
  forwardLogsTo(undefined);
  restore?.();
});

test("tokens and API keys are redacted", () => {
  expect(redact(`token ${JWT} and sk-kimi-abcdefghijkl`)).not.toContain("c2lnbmF0dXJl");
  expect(redact("sk-kimi-abcdefghijkl")).not.toContain("abcdefghijkl");
  expect(redact("nothing secret")).toBe("nothing secret");
  expect(redact('header "Authorization: Bearer opaque-123.xyz" sent')).toBe('header "Authorization: Bearer…[redacted]" sent');
});

test("inside opencode, entries go to opencode's logger; only errors also reach stderr", async () => {
  const lines: string[] = [];
  restore = setLogSink((l) => lines.push(l));
  const forwarded: unknown[][] = [];
  forwardLogsTo((...args) => {
    forwarded.push(args);
  });
  log("warn", `refresh failed with ${JWT}`, { token: JWT });
  log("error", "login failed");
  expect(forwarded).toHaveLength(2);
  expect(forwarded[0]![0]).toBe("warn");
  expect(JSON.stringify(forwarded)).not.toContain("c2lnbmF0dXJl");
  expect(lines).toEqual(["[opencode-kimi-code] error: login failed"]);
});

test("when opencode's logger fails, the line goes to stderr instead", async () => {
  const lines: string[] = [];
  restore = setLogSink((l) => lines.push(l));
  forwardLogsTo(() => Promise.reject(new Error("server not ready")));
  log("warn", "something happened");
  await Bun.sleep(1);
  expect(lines).toEqual(["[opencode-kimi-code] warn: something happened"]);
});

test("without opencode's logger every line goes to stderr; debug only with KIMI_CODE_DEBUG", () => {
  const lines: string[] = [];
  restore = setLogSink((l) => lines.push(l));
  const before = process.env.KIMI_CODE_DEBUG;
  delete process.env.KIMI_CODE_DEBUG;
  log("debug", "hidden");
  log("warn", "shown", { n: 1 });
  process.env.KIMI_CODE_DEBUG = "1";
  log("debug", "now shown");
  if (before === undefined) delete process.env.KIMI_CODE_DEBUG;
  else process.env.KIMI_CODE_DEBUG = before;
  expect(lines).toEqual(['[opencode-kimi-code] warn: shown {"n":1}', "[opencode-kimi-code] debug: now shown"]);
});
