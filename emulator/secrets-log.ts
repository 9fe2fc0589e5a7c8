// For `npm run secrets` (bench/secrets/): with KIMI_SECRETS_SCAN_DIR set, every secret the emulator
// issues or accepts (access and refresh tokens, device codes, API keys) is appended to a file there, so
// the scan knows what must appear nowhere else. Unset (always, outside that run), it does nothing.
import { appendFileSync } from "node:fs";
import { join } from "node:path";

export type SecretKind = "access" | "refresh" | "device_code" | "api_key";

export function noteSecrets(kind: SecretKind, ...values: readonly string[]): void {
  const dir = process.env.KIMI_SECRETS_SCAN_DIR;
  if (!dir || values.length === 0) return;
  appendFileSync(join(dir, `secrets-${process.pid}.tsv`), values.map((v) => `${kind}\t${v}\n`).join(""), { mode: 0o600 });
}
