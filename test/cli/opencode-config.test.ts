// Reading opencode's config the way opencode does: JSONC, the layers in order, {env:…}, path specs
// resolved against the declaring file, the last spec winning; and the engines range check.
import { describe, expect, test } from "bun:test";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseJsonc } from "../../src/cli/jsonc.ts";
import { readOpencodeConfig } from "../../src/cli/opencode-config.ts";
import { satisfies } from "../../src/cli/opencode-install.ts";
import { tempDir } from "../helpers/tmp.ts";

describe("parseJsonc", () => {
  test("comments and trailing commas outside strings go; strings stay intact", () => {
    const text = '{\n // a\n "url": "http://x//y", /* b */ "list": [1, 2,],\n "s": "/* not */",\n}';
    expect(parseJsonc(text)).toEqual({ url: "http://x//y", list: [1, 2], s: "/* not */" });
    expect(() => parseJsonc('{"a": }')).toThrow(SyntaxError);
  });
});

describe("readOpencodeConfig", () => {
  test("global, OPENCODE_CONFIG and project layers in opencode's order; the last spec and its options win", async () => {
    const home = await tempDir("okc-cfg-");
    const project = join(home, "repo", "sub");
    await mkdir(join(home, "repo", ".git"), { recursive: true });
    await mkdir(project, { recursive: true });
    await mkdir(join(home, "config", "opencode"), { recursive: true });
    await writeFile(join(home, "config", "opencode", "opencode.jsonc"), '{"plugin": [["opencode-kimi-code", {"region": "global"}]], // x\n}');
    await writeFile(join(home, "extra.json"), '{"plugin": ["other-plugin"]}');
    await writeFile(join(home, "repo", "opencode.json"), '{"plugin": [["opencode-kimi-code@0.1.0", {"identity": "{env:WHO}"}]]}');
    const env = { XDG_CONFIG_HOME: join(home, "config"), OPENCODE_CONFIG: join(home, "extra.json"), WHO: "kimi-cli" };
    const c = readOpencodeConfig(env, project, home);
    expect(c.sources.map((s) => s.layer)).toEqual(["global", "OPENCODE_CONFIG", "project"]);
    expect(c.pluginLines.length).toBe(2);
    expect(c.plugin).toMatchObject({ spec: "opencode-kimi-code@0.1.0", options: { identity: "kimi-cli" } });
    const noProject = readOpencodeConfig({ ...env, OPENCODE_DISABLE_PROJECT_CONFIG: "1" }, project, home);
    expect(noProject.plugin).toMatchObject({ spec: "opencode-kimi-code", options: { region: "global" } });
  });

  test("a path spec is ours when its package.json says so; a missing path is flagged; broken files reported", async () => {
    const home = await tempDir("okc-cfg-");
    const pkg = join(home, "pkgs", "node_modules", "opencode-kimi-code");
    await mkdir(join(pkg, "src", "server"), { recursive: true });
    await writeFile(join(pkg, "package.json"), '{"name": "opencode-kimi-code"}');
    await mkdir(join(home, "config", "opencode"), { recursive: true });
    const file = join(home, "config", "opencode", "opencode.json");
    await writeFile(file, JSON.stringify({ plugin: ["../../pkgs/node_modules/opencode-kimi-code/src/server/index.ts"] }));
    const c = readOpencodeConfig({ XDG_CONFIG_HOME: join(home, "config") }, home, home);
    expect(c.plugin).toMatchObject({ resolvedPath: join(pkg, "src", "server", "index.ts"), missing: true });
    await writeFile(join(pkg, "src", "server", "index.ts"), "export default {}");
    expect(readOpencodeConfig({ XDG_CONFIG_HOME: join(home, "config") }, home, home).plugin).toMatchObject({ missing: false });
    await writeFile(file, "{ nope");
    const broken = readOpencodeConfig({ XDG_CONFIG_HOME: join(home, "config") }, home, home);
    expect(broken.sources[0]!.error).toContain("not valid JSON");
    expect(broken.plugin).toBeUndefined();
  });
});

describe("satisfies (engines.opencode)", () => {
  test("the range forms package.json uses", () => {
    expect(satisfies("1.18.33", ">=1.18.33")).toBe(true);
    expect(satisfies("1.18.32", ">=1.18.33")).toBe(false);
    expect(satisfies("2.0.0", ">=1.18.33 <2")).toBe(false);
    expect(satisfies("1.20.1", "^1.18.33")).toBe(true);
    expect(satisfies("1.19.0", "~1.18.33")).toBe(false);
    expect(satisfies("1.3.0", "1.2.x || >=1.3")).toBe(true);
    expect(satisfies("garbage", ">=1")).toBe(false);
  });
});
