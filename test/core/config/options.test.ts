import { describe, expect, test } from "bun:test";
import { PLUGIN_VERSION } from "../../../src/core/config/constants.ts";
import { oauthHostFor, resolveOptions } from "../../../src/core/config/options.ts";
import pkg from "../../../package.json";

const HOME = { HOME: "/home/u" };

describe("options and environment", () => {
  test("defaults: honest identity, Kimi's main region, standard dirs", () => {
    const o = resolveOptions(undefined, HOME);
    expect(o.identity).toBe("opencode");
    expect(o.oauthHost).toBe("https://auth.kimi.com");
    expect(o.apiBase).toBe("https://api.kimi.com/coding/v1");
    expect(o.kimiShareDir).toBe("/home/u/.kimi");
    expect(o.kimiCodeHome).toBe("/home/u/.kimi-code");
    expect(o.opencodeDataDir).toBe("/home/u/.local/share/opencode");
    expect(o.cacheDir).toBe("/home/u/.cache/opencode-kimi-code");
    expect(o.warnings).toEqual([]);
  });

  test("webTools: on by default; the option or KIMI_CODE_WEB_TOOLS turns it off; env wins; bad values warn and keep it on", () => {
    expect(resolveOptions(undefined, HOME).webTools).toBe(true);
    expect(resolveOptions({ webTools: false }, HOME).webTools).toBe(false);
    for (const word of ["0", "false", "OFF", "no"]) expect(resolveOptions({}, { ...HOME, KIMI_CODE_WEB_TOOLS: word }).webTools).toBe(false);
    expect(resolveOptions({ webTools: false }, { ...HOME, KIMI_CODE_WEB_TOOLS: "yes" }).webTools).toBe(true);
    const badEnv = resolveOptions({}, { ...HOME, KIMI_CODE_WEB_TOOLS: "maybe" });
    expect(badEnv.webTools).toBe(true);
    expect(badEnv.warnings).toEqual(['webTools "maybe" is not one of 1, true, on, yes, 0, false, off, no; keeping it on']);
    expect(resolveOptions({ webTools: "off" }, HOME).webTools).toBe(false);
    const badOption = resolveOptions({ webTools: 0.5 }, HOME);
    expect(badOption.webTools).toBe(true);
    expect(badOption.warnings).toEqual(['plugin option "webTools" must be true or false; keeping it on']);
  });

  test('identity "kimi-code" is accepted; its home is $KIMI_CODE_HOME or ~/.kimi-code', () => {
    const o = resolveOptions({ identity: "kimi-code" }, { ...HOME, KIMI_CODE_HOME: "/data/kc" });
    expect(o.identity).toBe("kimi-code");
    expect(o.kimiCodeHome).toBe("/data/kc");
    expect(o.warnings).toEqual([]);
    expect(resolveOptions({}, { ...HOME, KIMI_CODE_IDENTITY: "kimi-code" }).identity).toBe("kimi-code");
    const bad = resolveOptions({ identity: "kimi-code-cli" }, HOME);
    expect(bad.identity).toBe("opencode");
    expect(bad.warnings[0]).toContain("use opencode, kimi-cli, kimi-code");
  });

  test("region global uses kimi.ai hosts, by option or env", () => {
    for (const o of [resolveOptions({ region: "global" }, HOME), resolveOptions({}, { ...HOME, KIMI_CODE_REGION: "global" })]) {
      expect(o.oauthHost).toBe("https://auth.kimi.ai");
      expect(o.apiBase).toBe("https://api.kimi.ai/coding/v1");
    }
  });

  test("kimi-cli's env overrides win over options; trailing slashes dropped", () => {
    const o = resolveOptions(
      { baseURL: "https://opt/v1", oauthHost: "https://opt-auth" },
      { ...HOME, KIMI_CODE_BASE_URL: "http://127.0.0.1:9/coding/v1/", KIMI_OAUTH_HOST: "http://127.0.0.1:8/" },
    );
    expect(o.apiBase).toBe("http://127.0.0.1:9/coding/v1");
    expect(o.oauthHost).toBe("http://127.0.0.1:8");
    const custom = { ...HOME, KIMI_CODE_BASE_URL: "https://api.staging.example/v1" };
    expect(resolveOptions({}, { ...custom, KIMI_CODE_OAUTH_HOST: "https://a", KIMI_OAUTH_HOST: "https://b" }).oauthHost).toBe("https://a");
  });

  test("identity kimi-cli only when asked, by option or KIMI_CODE_IDENTITY", () => {
    expect(resolveOptions({ identity: "kimi-cli" }, HOME).identity).toBe("kimi-cli");
    expect(resolveOptions({}, { ...HOME, KIMI_CODE_IDENTITY: "kimi-cli" }).identity).toBe("kimi-cli");
    expect(resolveOptions({ identity: "kimi-cli" }, { ...HOME, KIMI_CODE_IDENTITY: "opencode" }).identity).toBe("opencode");
  });

  test("protocol: openai by default; anthropic by option or KIMI_CODE_PROTOCOL, the env winning; bad values reported", () => {
    expect(resolveOptions(undefined, HOME).protocol).toBe("openai");
    expect(resolveOptions({ protocol: "anthropic" }, HOME).protocol).toBe("anthropic");
    expect(resolveOptions({}, { ...HOME, KIMI_CODE_PROTOCOL: "anthropic" }).protocol).toBe("anthropic");
    expect(resolveOptions({ protocol: "anthropic" }, { ...HOME, KIMI_CODE_PROTOCOL: "openai" }).protocol).toBe("openai");
    const bad = resolveOptions({ protocol: "messages" }, HOME);
    expect(bad.protocol).toBe("openai");
    expect(bad.warnings).toEqual(['protocol "messages" is unknown (use openai or anthropic); using "openai"']);
  });

  test("bad values are reported and replaced by the safe default, never thrown", () => {
    const o = resolveOptions({ identity: "claude-code", region: "mars", baseURL: "ftp://x", oauthHost: 42 }, HOME);
    expect(o.identity).toBe("opencode");
    expect(o.region).toBe("cn");
    expect(o.apiBase).toBe("https://api.kimi.com/coding/v1");
    expect(o.warnings).toHaveLength(4);
    expect(o.warnings.join("\n")).toMatch(/claude-code.*\n.*mars.*\n.*oauthHost.*\n.*ftp/s);
    expect(resolveOptions("nonsense", HOME).warnings).toEqual(["plugin options must be an object; ignored"]);
  });

  test("tokens are refreshed at the host that pairs with their API base", () => {
    const o = resolveOptions({}, { ...HOME, KIMI_CODE_BASE_URL: "http://127.0.0.1:9/coding/v1", KIMI_CODE_OAUTH_HOST: "http://127.0.0.1:8" });
    expect(oauthHostFor("http://127.0.0.1:9/coding/v1", o)).toBe("http://127.0.0.1:8");
    expect(oauthHostFor("https://api.kimi.ai/coding/v1", o)).toBe("https://auth.kimi.ai");
  });

  test("the OAuth host is bound to the login's API base: an OAuth host alone never receives a Kimi refresh token (issue 8)", () => {
    for (const env of [{ KIMI_OAUTH_HOST: "https://dev-auth.example" }, { KIMI_CODE_OAUTH_HOST: "https://dev-auth.example" }]) {
      const o = resolveOptions({}, { ...HOME, ...env });
      expect(o.oauthHost).toBe("https://auth.kimi.com");
      expect(oauthHostFor("https://api.kimi.com/coding/v1", o)).toBe("https://auth.kimi.com");
      expect(oauthHostFor("https://api.kimi.ai/coding/v1", o)).toBe("https://auth.kimi.ai");
      expect(o.warnings).toHaveLength(1);
      expect(o.warnings[0]).toContain("https://dev-auth.example");
      expect(o.warnings[0]).toContain("KIMI_CODE_BASE_URL");
    }
    expect(resolveOptions({ oauthHost: "https://dev-auth.example" }, HOME).oauthHost).toBe("https://auth.kimi.com");
    // with a non-Kimi base the override applies, to logins for that base only
    const staging = resolveOptions({}, { ...HOME, KIMI_CODE_BASE_URL: "https://api.staging.example/v1", KIMI_OAUTH_HOST: "https://dev-auth.example" });
    expect(staging.warnings).toEqual([]);
    expect(oauthHostFor("https://api.staging.example/v1", staging)).toBe("https://dev-auth.example");
    expect(oauthHostFor("https://api.other.example/v1", staging)).toBeUndefined();
    // the base chosen by URL pairs with its own region's login server, whatever the region option says
    expect(resolveOptions({ region: "cn" }, { ...HOME, KIMI_CODE_BASE_URL: "https://api.kimi.ai/coding/v1" }).oauthHost).toBe("https://auth.kimi.ai");
  });

  test("PLUGIN_VERSION matches package.json", () => {
    expect(PLUGIN_VERSION).toBe(pkg.version);
  });
});
