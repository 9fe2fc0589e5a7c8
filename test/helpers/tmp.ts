// Temporary directories for hermetic tests. Every one is removed after the run: by the global afterAll
// of test/helpers/temp-cleanup.ts (preloaded, so it covers every test file), and on process exit as a
// last resort (a failing or crashing run too).
import { rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { snapshot } from "../../scripts/secrets-snapshot.ts";

const made = new Set<string>();
process.on("exit", () => {
  for (const d of made) {
    snapshot(d); // `npm run secrets` only
    rmSync(d, { recursive: true, force: true });
  }
});

export async function tempDir(prefix = "okc-"): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  made.add(dir);
  return dir;
}

/** Registers a directory made elsewhere (mkdtemp in a test, a child's home) for the same cleanup. */
export function removeLater(dir: string): string {
  made.add(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  const dirs = [...made];
  made.clear();
  await Promise.all(dirs.map((d) => removeTempDir(d)));
}

/** Removes one temp dir now (a test that needs a clean slate per test), listed first for `npm run secrets`. */
export async function removeTempDir(dir: string): Promise<void> {
  made.delete(dir);
  snapshot(dir);
  await rm(dir, { recursive: true, force: true });
}

/** A JWT-shaped token (unsigned) with the given claims, like Kimi's access tokens. */
export function fakeJwt(claims: Record<string, unknown>): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
  return `${b64({ alg: "HS256", typ: "JWT" })}.${b64(claims)}.sig`;
}
