// The request path when the keeper cannot hand out a credential (issue 8 F6, F8): a plugin failure is a
// final error with a next step, an abort rejects at once as fetch does. Nothing is sent in these
// tests, so no server is needed; the keeper is a stand-in.
import { describe, expect, test } from "bun:test";
import { triggersOpencodeRetry } from "../../../src/core/support/errors.ts";
import type { Credential } from "../../../src/core/tokens/credential.ts";
import { createIdentity } from "../../../src/core/wire/identity/identity.ts";
import { createRequestFetch } from "../../../src/core/wire/request.ts";

const BASE = "http://127.0.0.1:9/coding/v1"; // never contacted
const CHAT = `${BASE}/chat/completions`;
const identity = createIdentity("opencode", { kimiShareDir: "/nonexistent-never-read" });

function make(credential: (signal?: AbortSignal | null) => Promise<Credential>) {
  return createRequestFetch({
    identity,
    configuredApiBase: BASE,
    keeper: { credential, forceRefresh: async () => credential() },
  });
}

describe("plugin failures are final, with a next step (F6)", () => {
  test("an unexpected error in the keeper becomes a final 400 that opencode shows at once", async () => {
    const f = make(async () => {
      throw new Error("EROFS: read-only file system, open '/x/auth.json.kimi-for-coding-oauth.lock'");
    });
    const res = await f(CHAT, { method: "POST", body: "{}" });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { message: string; type: string } };
    expect(error.type).toBe("kimi_plugin_error");
    expect(error.message).toContain("EROFS");
    expect(error.message).toContain("Send the message again");
    expect(error.message).toContain("opencode's log");
    expect(triggersOpencodeRetry(JSON.stringify({ error }))).toBe(false);
  });

  test("a detail that would trigger opencode's retry is left out of the message", async () => {
    const f = make(async () => {
      throw new Error("socket hang up");
    });
    const res = await f(CHAT, { method: "POST", body: "{}" });
    expect(res.status).toBe(400);
    expect(triggersOpencodeRetry(await res.text())).toBe(false);
  });
});

describe("aborts (F8)", () => {
  test("aborting while the credential is pending rejects at once with the abort reason, as fetch does", async () => {
    let seenSignal: AbortSignal | null | undefined;
    const never = new Promise<Credential>(() => {});
    const f = make((signal) => {
      seenSignal = signal;
      return new Promise<Credential>((resolve, reject) => {
        never.then(resolve);
        signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
      });
    });
    const ac = new AbortController();
    const pending = f(CHAT, { method: "POST", body: "{}", signal: ac.signal });
    ac.abort();
    const outcome = await Promise.race([pending.then(() => "resolved", (e: unknown) => e), Bun.sleep(5_000).then(() => "still waiting")]);
    expect(seenSignal).toBe(ac.signal);
    expect(outcome).toBeInstanceOf(DOMException);
    expect((outcome as DOMException).name).toBe("AbortError");
  });
});
