// The opt-in `kimi-code` identity against the emulator, compared byte for byte with what kimi-code
// 2.1.0 itself sent (test/fixtures/kimi-code-2.1.0-wire.json, recorded by test/conformance).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, statSync } from "node:fs";
import { chmod } from "node:fs/promises";
import { join } from "node:path";
import { startEmulator, type RecordedRequest, type RunningEmulator } from "../../emulator/index.ts";
import { enforceWireContract } from "../../src/core/models/chat-params.ts";
import { wireFieldsFor } from "../../src/core/models/variants.ts";
import { FIXTURE, wireEntry, type WireEntry } from "../conformance/kimi-code-harness.ts";
import { deviceLogin, pluginWorld } from "../helpers/plugin-env.ts";

const fixture = JSON.parse(readFileSync(FIXTURE, "utf8")) as { requests: Record<string, WireEntry> };
const IDENTITY_HEADER = /^(user-agent|x-msh-)/;

/** The identity headers of an entry, in the order they went out. */
const identityOf = (entry: WireEntry) => Object.entries(entry.headers).filter(([name]) => IDENTITY_HEADER.test(name));

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await startEmulator({ pollIntervalSec: 1, autoApproveAfterPolls: 1 }); // default gate
});
afterAll(() => emu.stop());

describe('identity "kimi-code"', () => {
  test("login, /models and chat carry kimi-code 2.1.0's identity headers exactly, and the gate admits them", async () => {
    const world = await pluginWorld(emu, { identity: "kimi-code" });
    await deviceLogin(world);
    const res = await world.chat();
    expect(res.status).toBe(200);
    await res.text();

    const deviceIdPath = join(world.home, ".kimi-code", "device_id");
    const deviceId = readFileSync(deviceIdPath, "utf8");
    expect(deviceId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/); // randomUUID, no newline
    expect(statSync(deviceIdPath).mode & 0o777).toBe(0o600);

    const last = (path: string): RecordedRequest => emu.state.requestsTo(path).at(-1)!;
    const pairs: [string, RecordedRequest][] = [
      ["device_authorization", last("/api/oauth/device_authorization")],
      ["device_token", last("/api/oauth/token")],
      ["models", last("/coding/v1/models")],
      ["chat", last("/coding/v1/chat/completions")],
    ];
    for (const [name, request] of pairs) {
      const ours = identityOf(wireEntry(request, deviceId));
      expect([name, ours]).toEqual([name, identityOf(fixture.requests[name]!)]);
    }
    expect(last("/coding/v1/chat/completions").headers["x-msh-device-id"]).toBe(deviceId);
  }, 30_000);

  test("/usages goes out as kimi-code's does: no X-Msh set, the runtime's own User-Agent", async () => {
    const world = await pluginWorld(emu, { identity: "kimi-code" });
    await deviceLogin(world);
    emu.state.failNextChat("quota-5h"); // a 429: the plugin reads /usages to explain it
    const res = await world.chat();
    expect(res.status).not.toBe(200);
    await res.text();
    const usages = emu.state.requestsTo("/coding/v1/usages").at(-1)!;
    expect(identityOf(wireEntry(usages, ""))).toEqual(identityOf(fixture.requests.usages!));
    expect(usages.headers["user-agent"]).toBe(`Bun/${Bun.version}`);
  }, 30_000);

  test("an existing ~/.kimi-code/device_id is kimi-code's own and is reused (trimmed)", async () => {
    const world = await pluginWorld(emu, { identity: "kimi-code" });
    const id = "0d4f9a52-3c1e-4b7a-9f00-6a2b8c1d2e3f";
    await Bun.write(join(world.home, ".kimi-code", "device_id"), `${id}\n`);
    await chmod(join(world.home, ".kimi-code", "device_id"), 0o600); // as kimi-code 2.1.0 writes it (dist/main.mjs 61152)
    await deviceLogin(world);
    expect(emu.state.requestsTo("/api/oauth/token").at(-1)!.headers["x-msh-device-id"]).toBe(id);
  }, 30_000);

  test("the reasoning fields are kimi-code's, byte for byte: thinking {type, effort, keep}", () => {
    const recorded = (fixture.requests.chat!.body as { thinking: unknown }).thinking;
    expect(JSON.stringify(recorded)).toBe('{"type":"enabled","effort":"high","keep":"all"}');
    expect(JSON.stringify(wireFieldsFor("kimi-code", "high").thinking)).toBe(JSON.stringify(recorded));
    // an effort from anywhere (a user's reasoningEffort / reasoning_effort) becomes kimi-code's thinking
    for (const options of [{ reasoningEffort: "high" }, { reasoning_effort: "high" }, { thinking: { type: "enabled", effort: "high" } }]) {
      const out: Record<string, unknown> = { ...options };
      enforceWireContract("kimi-code", out);
      expect(JSON.stringify(out)).toBe(JSON.stringify({ thinking: recorded }));
    }
    const off: Record<string, unknown> = { reasoningEffort: "none", thinking: { keep: "all" } };
    enforceWireContract("kimi-code", off);
    expect(off).toEqual({ thinking: { type: "disabled" } }); // kimi-code sends no keep when off
    expect(wireFieldsFor("kimi-code", "off")).toEqual({ thinking: { type: "disabled" } });
  });
});
