#!/usr/bin/env node
// The `kimi-code` executable (package.json "bin"; built to dist/cli/main.js for plain Node ≥ 20).
import { runCli } from "./cli.ts";

const code = await runCli(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  fetch: globalThis.fetch,
  out: (text) => process.stdout.write(text + "\n"),
  err: (text) => process.stderr.write(text + "\n"),
  isTTY: process.stdout.isTTY === true,
  now: Date.now,
  readStdin: async () => {
    // A pipe is read to its end; a terminal up to the first line (the user pastes and presses Enter).
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) {
      chunks.push(chunk as Buffer);
      if (process.stdin.isTTY && Buffer.concat(chunks).includes(10)) break;
    }
    return Buffer.concat(chunks).toString("utf8");
  },
  stdinIsTTY: process.stdin.isTTY === true,
});
process.exitCode = code;
