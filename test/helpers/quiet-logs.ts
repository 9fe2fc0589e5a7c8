// Preloaded by bunfig.toml: the plugin's log lines go nowhere during tests unless
// KIMI_CODE_TEST_LOGS=1. Tests that assert on log lines install their own sink (setLogSink).
import { setLogSink } from "../../src/core/support/log.ts";

if (!process.env.KIMI_CODE_TEST_LOGS) setLogSink(() => {});
