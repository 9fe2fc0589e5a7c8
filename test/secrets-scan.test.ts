// The machinery of `npm run secrets` finds what it is there to find: a known secret in a file or in
// output, a file of the project with the wrong mode, a temp file left by a write; and stays inert
// without KIMI_SECRETS_SCAN_DIR.
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { chmod, mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { checkListing } from "../bench/secrets/rules.ts";
import { noteSecrets } from "../emulator/secrets-log.ts";
import { knownSecrets, secretKindsIn, snapshot, type SnapshotEntry } from "../scripts/secrets-snapshot.ts";
import { tempDir } from "./helpers/tmp.ts";

const ACCESS = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzY2FuIn0.c2lnbmF0dXJlLW9mLXRoZS1zY2Fu";
const REFRESH = "kimi-emu-rt-AAAABBBBCCCCDDDDEEEEFFFF0123";
const DEVICE = "dEvIcEcOdE_0123456789-abcdefghijkl";
const KEY = "sk-kimi-scan-test-0123456789";
const previous = process.env.KIMI_SECRETS_SCAN_DIR;
afterEach(() => {
  if (previous === undefined) delete process.env.KIMI_SECRETS_SCAN_DIR;
  else process.env.KIMI_SECRETS_SCAN_DIR = previous;
});

describe("secrets scan", () => {
  test("inert without KIMI_SECRETS_SCAN_DIR: nothing noted, nothing listed", async () => {
    delete process.env.KIMI_SECRETS_SCAN_DIR;
    const root = await tempDir();
    noteSecrets("access", ACCESS);
    snapshot(root);
    expect(readdirSync(root)).toEqual([]);
  });

  test("secrets are found whole, inside other text, and never matched by a prefix alone", async () => {
    const scan = await tempDir();
    process.env.KIMI_SECRETS_SCAN_DIR = scan;
    noteSecrets("access", ACCESS);
    noteSecrets("refresh", REFRESH);
    noteSecrets("device_code", DEVICE);
    const known = knownSecrets(scan);
    expect(known.byValue.size).toBe(3);
    expect(secretKindsIn(`Authorization: Bearer ${ACCESS}\n`, known)).toEqual(["access"]);
    expect(secretKindsIn(`{"refresh_token":"${REFRESH}","device_code":"${DEVICE}"}`, known).sort()).toEqual(["device_code", "refresh"]);
    expect(secretKindsIn(`Bearer ${ACCESS.slice(0, 6)}…[redacted] ${REFRESH.slice(0, -1)}`, known)).toEqual([]);
  });

  test("a leak, a wrong mode and a leftover temp file are violations; auth.json may hold a token", async () => {
    const scan = await tempDir();
    process.env.KIMI_SECRETS_SCAN_DIR = scan;
    noteSecrets("access", ACCESS);
    noteSecrets("api_key", KEY);
    const root = await tempDir();
    const cache = join(root, "cache", "opencode-kimi-code");
    await mkdir(cache, { recursive: true, mode: 0o700 });
    await writeFile(join(cache, "models.json"), "{}", { mode: 0o644 });
    await chmod(join(cache, "models.json"), 0o644);
    await writeFile(join(root, "auth.json"), JSON.stringify({ access: ACCESS }), { mode: 0o600 });
    await writeFile(join(root, "opencode.log"), `INFO service=opencode-kimi-code token=${ACCESS}`);
    const dead = Bun.spawnSync(["true"]).pid; // a writer that no longer runs: its temp file was left behind
    await writeFile(join(cache, `.models.json.${dead}.abcdef.tmp`), "{");
    await writeFile(join(cache, `.models.json.${process.pid}.0123ab.tmp`), "{"); // a write in flight
    await mkdir(join(root, "config", "opencode"), { recursive: true });
    await writeFile(join(root, "config", "opencode", "opencode.json"), JSON.stringify({ apiKey: KEY }));
    await mkdir(join(root, "node_modules", "opencode-kimi-code"), { recursive: true, mode: 0o755 });
    await writeFile(join(root, "node_modules", "opencode-kimi-code", "package.json"), "{}", { mode: 0o644 });
    snapshot(root);
    const listing = readdirSync(scan).find((n) => n.startsWith("listing-"))!;
    const entries = readFileSync(join(scan, listing), "utf8").trim().split("\n").map((l) => JSON.parse(l) as SnapshotEntry);
    const { figures, violations } = checkListing(entries);
    expect(violations.map((v) => `${v.where.slice(root.length + 1)}: ${v.what}`).sort()).toEqual([
      `cache/opencode-kimi-code/.models.json.${dead}.abcdef.tmp: a temp file left behind (write not atomic?)`,
      "cache/opencode-kimi-code/models.json: model cache file is 0644, not 0600",
      "opencode.log: holds access",
    ]);
    expect(figures.allowedTokenHolders).toBe(2); // auth.json, and opencode.json with an API key only
    expect(figures.inFlight).toBe(1);
    expect(figures.ownFiles["model cache directory"]).toBe(1);
    expect(existsSync(root)).toBe(true); // listing never removes anything
    // Gone before the suite's own listing (under `npm run secrets`) would report these planted faults.
    await rm(root, { recursive: true, force: true });
  });
});
