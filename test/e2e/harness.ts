// Helpers for end-to-end tests that drive the real opencode binary headless and offline.
// The sandbox itself (isolated home, env, install stub, running opencode) lives in
// scripts/opencode-sandbox.ts, shared with `npm run demo`; this module re-exports it for the tests.
// Facts behind every choice are in test/e2e/NOTES.md.
export * from "../../scripts/opencode-sandbox.ts";
