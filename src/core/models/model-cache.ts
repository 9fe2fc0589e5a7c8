// On-disk cache of the discovered model list, so opencode starts with no network call.
// One file per API base in the cache dir (ResolvedOptions.cacheDir, e.g. ~/.cache/opencode-kimi-code/),
// written atomically with mode 0600. A missing, corrupt or foreign file reads as "no cache", never an error.
import { MAX_MODEL_CACHE_BYTES } from "../config/constants.ts";
import { join } from "node:path";
import { stableHash } from "../support/unique.ts";
import { writeFileAtomic } from "../support/atomic-file.ts";
import { NOT_A_FILE, readRegularFileSync } from "../support/read-file.ts";
import { isDiscoveredModel, type DiscoveredModel } from "./model.ts";
import { isRecord } from "../support/is-record.ts";
import { log } from "../support/log.ts";

/**
 * A cache older than this is still used at startup, but the caller should refresh it in the background.
 * 6 h: the entitled list changes rarely (plan changes, new models), and a token refresh (~every 15 min
 * while opencode runs) re-fetches anyway; 6 h only matters for the first start of the day.
 */
export const MODEL_CACHE_MAX_AGE_MS = 6 * 60 * 60 * 1000;
/** A fetchedAt further in the future than this (clock skew) also counts as stale. */
const FUTURE_TOLERANCE_MS = 5 * 60 * 1000;
const CACHE_VERSION = 1;

export interface ModelCacheEntry {
  models: DiscoveredModel[];
  /** Epoch ms of the successful fetch. */
  fetchedAt: number;
}

/** `models-<host>-<sha256(apiBase) prefix>.json`: readable, and distinct per base (path included). */
export function modelCacheFile(cacheDir: string, apiBase: string): string {
  const base = apiBase.replace(/\/+$/, "");
  let host = "api";
  try {
    host = new URL(base).host.replace(/[^A-Za-z0-9.-]/g, "_") || host;
  } catch {
    // keep the generic prefix; the hash still separates bases
  }
  const hash = stableHash(base);
  return join(cacheDir, `models-${host}-${hash}.json`);
}

/** The cached list for `apiBase`, or undefined when there is none or it is unreadable/corrupt. */
export async function readModelCache(cacheDir: string, apiBase: string): Promise<ModelCacheEntry | undefined> {
  const file = modelCacheFile(cacheDir, apiBase);
  let text: string | undefined;
  try {
    text = readRegularFileSync(file, MAX_MODEL_CACHE_BYTES);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException)?.code;
    if (code === NOT_A_FILE) log("warn", `model cache ${file} is not a regular file; ignored (the next discovery replaces it)`);
    else if (code !== "ENOENT") log("warn", `model cache ${file} is unreadable (${code ?? "error"}); ignored`);
    return undefined;
  }
  if (text === undefined) {
    log("warn", `model cache ${file} is larger than ${MAX_MODEL_CACHE_BYTES >> 20} MiB; ignored (it is rewritten after the next discovery)`);
    return undefined;
  }
  try {
    const json: unknown = JSON.parse(text);
    if (
      !isRecord(json) ||
      json.version !== CACHE_VERSION ||
      json.apiBase !== apiBase.replace(/\/+$/, "") ||
      typeof json.fetchedAt !== "number" ||
      !Number.isFinite(json.fetchedAt) ||
      !Array.isArray(json.models) ||
      json.models.length === 0 ||
      !json.models.every(isDiscoveredModel)
    ) {
      throw new Error("unexpected structure");
    }
    return { models: json.models as DiscoveredModel[], fetchedAt: json.fetchedAt };
  } catch {
    log("warn", `model cache ${file} is corrupt; ignored (it is rewritten after the next discovery)`);
    return undefined;
  }
}

/** Writes the list for `apiBase` atomically (0600). Throws on I/O errors; callers log and carry on. */
export async function writeModelCache(
  cacheDir: string,
  apiBase: string,
  models: readonly DiscoveredModel[],
  now: number = Date.now(),
): Promise<void> {
  const body = { version: CACHE_VERSION, apiBase: apiBase.replace(/\/+$/, ""), fetchedAt: now, models };
  await writeFileAtomic(modelCacheFile(cacheDir, apiBase), JSON.stringify(body, null, 2) + "\n", 0o600);
}

/** True when the entry should be refreshed: older than maxAgeMs, or dated in the future. */
export function isStale(
  entry: Pick<ModelCacheEntry, "fetchedAt">,
  now: number = Date.now(),
  maxAgeMs: number = MODEL_CACHE_MAX_AGE_MS,
): boolean {
  const age = now - entry.fetchedAt;
  return age > maxAgeMs || age < -FUTURE_TOLERANCE_MS;
}
