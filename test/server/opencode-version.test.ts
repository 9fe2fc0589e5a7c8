// Web tools are offered only where opencode takes JSON-Schema tool arguments (1.18+): on 1.14.34 they
// break every `opencode run` (the version matrix found it).
import { describe, expect, test } from "bun:test";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { acceptsJsonSchemaTools, runningOpencodeVersion } from "../../src/server/opencode-version.ts";
import { tempDir } from "../helpers/tmp.ts";

describe("the running opencode's version", () => {
  test("read from the platform package beside an npm-installed binary; undefined otherwise", async () => {
    const root = await tempDir("okc-ocv-");
    const pkg = join(root, "node_modules", "opencode-linux-x64");
    await mkdir(join(pkg, "bin"), { recursive: true });
    await writeFile(join(pkg, "package.json"), JSON.stringify({ name: "opencode-linux-x64", version: "1.14.34" }));
    expect(await runningOpencodeVersion(join(pkg, "bin", "opencode"))).toBe("1.14.34");
    expect(await runningOpencodeVersion(join(root, "elsewhere", "bin", "opencode"))).toBeUndefined();
    await writeFile(join(pkg, "package.json"), JSON.stringify({ name: "something-else", version: "9.9.9" }));
    expect(await runningOpencodeVersion(join(pkg, "bin", "opencode"))).toBeUndefined();
  });

  test("JSON-Schema tools from 1.18.0; an unknown version counts as current", () => {
    expect(acceptsJsonSchemaTools("1.14.34")).toBe(false);
    expect(acceptsJsonSchemaTools("1.17.19")).toBe(false);
    expect(acceptsJsonSchemaTools("1.18.0")).toBe(true);
    expect(acceptsJsonSchemaTools("1.18.33")).toBe(true);
    expect(acceptsJsonSchemaTools("2.0.0")).toBe(true);
    expect(acceptsJsonSchemaTools(undefined)).toBe(true);
  });
});
