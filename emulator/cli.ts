// `npm run emulator`: the emulator with demo defaults (device logins auto-approve after 2 polls).
import { parseArgs } from "node:util";
import { startEmulator } from "./index.ts";

const HELP = `Kimi Code emulator: a local stand-in for auth.kimi.com and api.kimi.com/coding/v1.

Usage: bun emulator/cli.ts [options]

  --port <n>              coding API port (default 0: the OS picks)
  --oauth-port <n>        OAuth host port (default 0: the OS picks)
  --token-lifetime <sec>  access token lifetime in seconds (default 900)
  --api-key <sk-kimi-..>  accept this API key as bearer (repeatable)
  --auto-approve <n>      approve device logins after n pending polls (default 2; "never" to disable)
  -h, --help              show this help

Device logins can also be approved by hand at the printed verification URL.
Stop with Ctrl-C.`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${HELP}\n`);
  process.exit(2);
}

function intFlag(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) fail(`--${name} must be a non-negative number, got "${value}"`);
  return n;
}

let parsed;
try {
  parsed = parseArgs({
    options: {
      port: { type: "string" },
      "oauth-port": { type: "string" },
      "token-lifetime": { type: "string" },
      "api-key": { type: "string", multiple: true },
      "auto-approve": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  }).values;
} catch (e) {
  fail((e as Error).message);
}
if (parsed.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}

const apiKeys = parsed["api-key"] ?? [];
for (const key of apiKeys) if (!key.startsWith("sk-kimi-")) fail(`--api-key must start with sk-kimi-, got "${key}"`);
const autoApprove = parsed["auto-approve"] === "never" ? null : intFlag("auto-approve", parsed["auto-approve"], 2);

const emulator = await startEmulator({
  apiPort: intFlag("port", parsed.port, 0),
  oauthPort: intFlag("oauth-port", parsed["oauth-port"], 0),
  accessTokenLifetimeSec: intFlag("token-lifetime", parsed["token-lifetime"], 900),
  apiKeys,
  autoApproveAfterPolls: autoApprove,
  onDeviceLogin: ({ userCode, verificationUriComplete }) => {
    const auto = autoApprove === null ? "" : ` (auto-approves after ${autoApprove} polls)`;
    console.log(`Device login pending: user code ${userCode}${auto}\n  approve or deny at ${verificationUriComplete}`);
  },
});

console.log(`Kimi Code emulator running
  OAuth host: ${emulator.oauthHost}
  API base:   ${emulator.apiBase}
Point a client at it:
  KIMI_CODE_OAUTH_HOST=${emulator.oauthHost} KIMI_CODE_BASE_URL=${emulator.apiBase}`);
if (apiKeys.length > 0) console.log(`Accepted API keys: ${apiKeys.join(", ")}`);
console.log("Press Ctrl-C to stop.");

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void emulator.stop().then(() => {
      console.log("Emulator stopped.");
      process.exit(0);
    });
  });
}
