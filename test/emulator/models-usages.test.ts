import { describe, expect, test } from "bun:test";
import { DEFAULT_MODELS } from "../../emulator/index.ts";
import { chat, getJson, HELLO, useEmulator } from "./helpers.ts";

describe("GET /models", () => {
  const box = useEmulator({ apiKeys: ["sk-kimi-models"] });

  test("requires a bearer", async () => {
    const { emu } = box;
    const none = await getJson(`${emu.apiBase}/models`);
    expect(none.status).toBe(401);
    expect(none.json.error.type).toBe("invalid_authentication_error");
    expect((await getJson(`${emu.apiBase}/models`, "not-a-token")).status).toBe(401);
  });

  test("is not gated by client identity and lists the default entitled models", async () => {
    const { emu } = box;
    const r = await getJson(`${emu.apiBase}/models`, emu.state.mintTokens().access_token, { "user-agent": "curl/8.0" });
    expect(r.status).toBe(200);
    expect(r.headers.get("x-trace-id")).toMatch(/^[0-9a-f]{32}$/);
    expect(r.json.object).toBe("list");
    expect(r.json.data.map((m: any) => m.id)).toEqual(["kimi-for-coding", "kimi-for-coding-highspeed", "k3", "k3-256k"]);
    expect(r.json.data[0]).toEqual({
      id: "kimi-for-coding",
      object: "model",
      display_name: "Kimi K2.8 Preview",
      context_length: 262144,
      supports_reasoning: true,
      supports_image_in: true,
      supports_video_in: true,
      supports_thinking_type: "both",
      think_efforts: { support: true, valid_efforts: ["low", "high", "max"], default_effort: "high" },
      supports_tool_use: true,
    });
    const byId = Object.fromEntries(r.json.data.map((m: any) => [m.id, m]));
    expect(byId["kimi-for-coding-highspeed"]).toMatchObject({ context_length: 262144, supports_thinking_type: "only" });
    expect(byId["kimi-for-coding-highspeed"].think_efforts.support).toBe(false);
    expect(byId.k3).toMatchObject({ context_length: 1048576, supports_thinking_type: "both" });
    expect(byId.k3.think_efforts.valid_efforts).toEqual(["low", "high", "max"]);
    expect(byId["k3-256k"]).toMatchObject({ context_length: 262144, supports_thinking_type: "only" });
    expect(byId["k3-256k"].think_efforts.valid_efforts).toEqual(["low", "high", "max"]);
  });

  test("accepts an API key; the list is configurable", async () => {
    const { emu } = box;
    emu.state.configure({ models: [{ ...DEFAULT_MODELS[0]!, id: "only-one" }] });
    const r = await getJson(`${emu.apiBase}/models`, "sk-kimi-models");
    expect(r.status).toBe(200);
    expect(r.json.data.map((m: any) => m.id)).toEqual(["only-one"]);
  });
});

describe("GET /usages", () => {
  const box = useEmulator({ fiveHourRequestLimit: 10, weeklyRequestLimit: 100 });

  test("requires a bearer", async () => {
    expect((await getJson(`${box.emu.apiBase}/usages`)).status).toBe(401);
  });

  test("default shape, numbers as strings, driven by served chat requests", async () => {
    const { emu } = box;
    const token = emu.state.mintTokens().access_token;
    const start = Date.now();
    const before = await getJson(`${emu.apiBase}/usages`, token);
    expect(before.json.usage).toMatchObject({ limit: "100", used: "0", remaining: "100" });
    for (let i = 0; i < 3; i++) expect((await chat(emu, HELLO, { bearer: token })).status).toBe(200);
    // a rejected request (unknown model) does not count
    expect((await chat(emu, { ...HELLO, model: "nope" }, { bearer: token })).status).toBe(404);
    const r = await getJson(`${emu.apiBase}/usages`, token);
    expect(r.status).toBe(200);
    expect(r.json.usage).toMatchObject({ limit: "100", used: "3", remaining: "97" });
    expect(r.json.limits).toHaveLength(1);
    expect(r.json.limits[0].window).toEqual({ duration: 300, timeUnit: "TIME_UNIT_MINUTE" });
    expect(r.json.limits[0].detail).toMatchObject({ limit: "10", used: "3", remaining: "7" });
    expect(r.json.parallel).toEqual({ limit: "30" });
    const fiveHourReset = Date.parse(r.json.limits[0].detail.resetTime);
    expect(fiveHourReset - start).toBeGreaterThan(5 * 3600 * 1000 - 5000);
    expect(fiveHourReset - start).toBeLessThanOrEqual(5 * 3600 * 1000);
    const weeklyReset = Date.parse(r.json.usage.resetTime);
    expect(weeklyReset - start).toBeGreaterThan(7 * 24 * 3600 * 1000 - 5000);
    expect(emu.state.usage().fiveHour.used).toBe(3);
  });

  test('usageShape "usages": limit_5h, limit_month_total, limit_month_code', async () => {
    const { emu } = box;
    emu.state.configure({ usageShape: "usages", monthlyRequestLimit: 200 });
    const token = emu.state.mintTokens().access_token;
    for (let i = 0; i < 2; i++) expect((await chat(emu, HELLO, { bearer: token })).status).toBe(200);
    const r = await getJson(`${emu.apiBase}/usages`, token);
    expect(r.json.usage).toBeUndefined();
    const u = r.json.usages;
    expect(u.limit_5h).toMatchObject({ limit: "10", used: "2", remaining: "8", used_ratio: "0.2" });
    expect(u.limit_month_total).toMatchObject({ limit: "200", used: "2", remaining: "198", used_ratio: "0.01" });
    expect(u.limit_month_code).toEqual({ used_ratio: "0.01", reset_time: u.limit_month_total.reset_time });
    expect(Number.isNaN(Date.parse(u.limit_5h.reset_time))).toBe(false);
  });
});

describe("quota (429)", () => {
  // The emulator's earlier quota answer, kept as an option (live Kimi's rows: kimi-today.test.ts).
  const box = useEmulator({ fiveHourRequestLimit: 2, quotaErrors: "retry-after" });

  test("beyond the 5-hour budget: 429 with Retry-After; /usages shows the window exhausted", async () => {
    const { emu } = box;
    const token = emu.state.mintTokens().access_token;
    for (let i = 0; i < 2; i++) expect((await chat(emu, HELLO, { bearer: token })).status).toBe(200);
    const limited = await chat(emu, HELLO, { bearer: token });
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get("retry-after"));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(5 * 3600 - 10);
    expect(retryAfter).toBeLessThanOrEqual(5 * 3600);
    const body = (await limited.json()) as any;
    expect(body.error.type).toBe("rate_limit_reached_error");
    expect(body.error.message).toBeString();
    const u = await getJson(`${emu.apiBase}/usages`, token);
    expect(u.json.limits[0].detail).toMatchObject({ limit: "2", used: "2", remaining: "0" });
    expect(u.json.usage.used).toBe("2");
    const reset = Date.parse(u.json.limits[0].detail.resetTime);
    expect(Math.abs(reset - Date.now() - retryAfter * 1000)).toBeLessThan(2000);
  });

  test("the weekly budget is enforced too", async () => {
    const { emu } = box;
    emu.state.configure({ fiveHourRequestLimit: 100, weeklyRequestLimit: 1 });
    expect((await chat(emu, HELLO)).status).toBe(200);
    const limited = await chat(emu, HELLO);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(6 * 24 * 3600);
  });

  test("the window resets after its length; resetQuota() resets at once", async () => {
    const { emu } = box;
    emu.state.configure({ fiveHourRequestLimit: 1, fiveHourWindowSec: 0.3 });
    emu.state.resetQuota();
    expect((await chat(emu, HELLO)).status).toBe(200);
    const limited = await chat(emu, HELLO);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("1");
    await Bun.sleep(320);
    expect((await chat(emu, HELLO)).status).toBe(200);
    expect((await chat(emu, HELLO)).status).toBe(429);
    emu.state.resetQuota();
    expect((await chat(emu, HELLO)).status).toBe(200);
  });
});
