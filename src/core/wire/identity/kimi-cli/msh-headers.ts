// kimi-cli's six X-Msh-* headers (`_common_headers`, src/kimi_cli/auth/oauth.py:250-261). Loaded on
// demand by identity.ts only when a profile with the "kimi-cli" scheme sends X-Msh headers.
import { KIMI_CLI_CLIENT, type MshClient } from "../profiles.ts";
import { getDeviceId } from "./device-id.ts";
import { readHostFacts } from "./host-facts.ts";
import { asciiHeaderValue, deviceModel, pythonPlatform, type HostFacts } from "./python-platform.ts";

/**
 * The six X-Msh-* headers in kimi-cli's order (`_common_headers`, oauth.py:250-261), each sanitised.
 * `client` defaults to kimi-cli 1.49.0.
 */
export function kimiCliMshHeaders(
  facts: HostFacts,
  deviceId: string,
  client: MshClient = KIMI_CLI_CLIENT,
): Record<string, string> {
  const py = pythonPlatform(facts);
  const raw: Array<[string, string]> = [
    ["X-Msh-Platform", client.platform],
    ["X-Msh-Version", client.version],
    ["X-Msh-Device-Name", py.node],
    ["X-Msh-Device-Model", deviceModel(py)],
    ["X-Msh-Os-Version", py.version],
    ["X-Msh-Device-Id", deviceId],
  ];
  const headers: Record<string, string> = {};
  for (const [name, value] of raw) headers[name] = asciiHeaderValue(value);
  return headers;
}

/** The X-Msh set of `client` on this machine (or on `inputs.facts` / with `inputs.deviceId` in tests). */
export async function mshHeaders(
  client: MshClient,
  inputs: { kimiShareDir: string; facts?: HostFacts; deviceId?: string },
): Promise<Record<string, string>> {
  const [facts, deviceId] = await Promise.all([
    inputs.facts ?? readHostFacts(),
    inputs.deviceId ?? getDeviceId(inputs.kimiShareDir),
  ]);
  return kimiCliMshHeaders(facts, deviceId, client);
}
