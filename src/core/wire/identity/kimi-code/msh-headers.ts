// kimi-code 2.1.0's six X-Msh-* headers (`createKimiDeviceHeaders`, packages/oauth/src/identity.ts;
// dist/main.mjs 61161-61170). Loaded on demand by identity.ts only when a profile with the
// "kimi-code" scheme sends X-Msh headers.
import * as os from "node:os";
import { KIMI_CODE_CLIENT, type MshClient } from "../profiles.ts";
import { getDeviceId, KIMI_CODE_DEVICE_ID_FORMAT } from "../kimi-cli/device-id.ts";
import { readHostFacts } from "../kimi-cli/host-facts.ts";
import type { HostFacts } from "../kimi-cli/python-platform.ts";

/**
 * kimi-code's `asciiHeader`: printable ASCII only (U+0020–U+007E), trimmed; empty → "unknown"
 * (dist/main.mjs 61243-61246).
 */
export function kimiCodeAscii(value: string, fallback = "unknown"): string {
  const cleaned = value.replaceAll(/[^\u0020-\u007E]/g, "").trim();
  return cleaned.length > 0 ? cleaned : fallback;
}

/**
 * kimi-code's `deviceModel` (dist/main.mjs 61226-61233): `macOS <ProductVersion or release> <arch>`,
 * `Windows <release> <arch>`, else `<os.type()> <os.release()> <os.arch()>`.
 */
export function kimiCodeDeviceModel(facts: HostFacts, arch: string = os.arch()): string {
  if (facts.system === "Darwin") return `macOS ${facts.macProductVersion?.trim() || facts.release} ${arch}`;
  if (facts.system === "Windows_NT") return `Windows ${facts.release} ${arch}`;
  return `${facts.system} ${facts.release} ${arch}`.trim();
}

/** The six headers in kimi-code's order, each sanitised as kimi-code does. `client` defaults to 2.1.0. */
export function kimiCodeMshHeaders(
  facts: HostFacts,
  deviceId: string,
  client: MshClient = KIMI_CODE_CLIENT,
  arch: string = os.arch(),
): Record<string, string> {
  return {
    "X-Msh-Platform": kimiCodeAscii(client.platform),
    "X-Msh-Version": kimiCodeAscii(client.version),
    "X-Msh-Device-Name": kimiCodeAscii(facts.hostname),
    "X-Msh-Device-Model": kimiCodeAscii(kimiCodeDeviceModel(facts, arch)),
    "X-Msh-Os-Version": kimiCodeAscii(facts.release),
    // kimi-code sends the id unsanitised (a randomUUID it wrote itself).
    "X-Msh-Device-Id": deviceId,
  };
}

/** The X-Msh set of `client` on this machine (or on `inputs.facts` / with `inputs.deviceId` in tests). */
export async function mshHeaders(
  client: MshClient,
  inputs: { kimiCodeHome?: string; facts?: HostFacts; deviceId?: string },
): Promise<Record<string, string>> {
  const home = inputs.kimiCodeHome ?? `${os.homedir()}/.kimi-code`;
  const [facts, deviceId] = await Promise.all([
    inputs.facts ?? readHostFacts(),
    inputs.deviceId ?? getDeviceId(home, KIMI_CODE_DEVICE_ID_FORMAT),
  ]);
  return kimiCodeMshHeaders(facts, deviceId, client);
}
