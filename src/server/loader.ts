// The auth loader: when opencode's store holds a Kimi Code login, opencode gets our fetch (which signs,
// refreshes and explains every request). Loaded on first use, with the runtime.
import { apiKeyProblem } from "../core/login/auth-methods.ts";
import { isStale } from "../core/models/model-cache.ts";
import { messages } from "../core/support/errors.ts";
import { log } from "../core/support/log.ts";
import { credentialFromStore, credentialProblem } from "../core/tokens/credential.ts";
import type { Runtime } from "./runtime.ts";

/** What the loader hands opencode for a stored login; `{}` when there is none. */
export async function loadProvider(rt: Runtime, auth: () => Promise<unknown>): Promise<Record<string, unknown>> {
  rt.setAuthSource(auth);
  rt.keeper.reset();
  const credential = credentialFromStore(await auth(), rt.options.apiBase);
  if (!credential) return {};
  const unusable = credentialProblem(credential);
  if (unusable) {
    // Recognised at load; every request then answers with the same final error (request.ts), and
    // nothing else (discovery) sends it.
    log("error", messages.invalidCredential(credential.type, unusable));
    return { apiKey: "", fetch: rt.requestFetch };
  }
  if (credential.type === "api") {
    const problem = apiKeyProblem(credential.key);
    if (problem) log("warn", `the stored Kimi Code API key is ${problem}`);
  }
  const cached = await rt.cachedModels(credential.apiBase);
  if (!cached || isStale(cached)) {
    // Discovery when due: with the stored token if it is still fresh, never blocking startup.
    rt.keeper
      .credential()
      .then(rt.discoverInBackground)
      .catch(() => {});
  }
  // An empty apiKey keeps the AI SDK from adding its own Authorization; our fetch sets it.
  return { apiKey: "", fetch: rt.requestFetch };
}
