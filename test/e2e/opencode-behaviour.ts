// What the e2e tests may expect of the opencode under test, where releases in the tested range
// differ. Every difference found by the version matrix (`npm run test:opencode-matrix`) lives here,
// with the releases it applies to; AGENTS.md ("opencode versions") lists the same facts.
import { OPENCODE_VERSION } from "./harness.ts";

/** Compares dotted release numbers (`1.14.34` < `1.18.3` < `1.18.33`); pre-release tags are ignored. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split("-")[0]!.split(".").map(Number);
  const pb = b.split("-")[0]!.split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export interface OpencodeBehaviour {
  /** Chat requests carry `x-session-id` (besides `x-session-affinity`, which every tested release sends). */
  sessionIdHeader: boolean;
  /** The title request carries the options of the model's first variant (otherwise no variant options). */
  titleUsesFirstVariant: boolean;
  /** Exit status of `opencode run` when the turn ends in an error it prints (`Error: …`). */
  failedRunExitCode: number;
}

export function behaviourOf(version: string): OpencodeBehaviour {
  const atLeast = (v: string) => compareVersions(version, v) >= 0;
  return {
    sessionIdHeader: atLeast(SESSION_ID_HEADER_SINCE),
    titleUsesFirstVariant: atLeast(TITLE_FIRST_VARIANT_SINCE),
    failedRunExitCode: atLeast(FAILED_RUN_EXIT_1_SINCE) ? 1 : 0,
  };
}

/** First release sending `x-session-id` (1.14.x and 1.15.x send only `x-session-affinity`; the registry has nothing between 1.15.13 and 1.17.0). */
export const SESSION_ID_HEADER_SINCE = "1.17.0";
/** First release whose title request carries the first variant's options (1.14.41 sends none; next on the registry: 1.15.0). */
export const TITLE_FIRST_VARIANT_SINCE = "1.15.0";

/** First release whose `opencode run` exits 1 after printing a turn's error (1.14.x and 1.15.x exit 0). */
export const FAILED_RUN_EXIT_1_SINCE = "1.17.0";

/** The behaviour of the opencode the e2e tests run. */
export const OPENCODE = behaviourOf(OPENCODE_VERSION);
