#!/usr/bin/env node
// Completes package-lock.json with the platform-specific optional packages the registry mirror of
// this workplace does not serve (e.g. opencode-darwin-arm64, opencode-windows-x64). npm leaves them out
// of the lock when it cannot fetch their manifests, and `npm ci` then refuses the lock ("Missing: … from
// lock file"). A stub entry with os/cpu/libc lets npm ci skip them on other platforms, as it would with
// a complete lock. Run it after every `npm install` that changes the lockfile.
import { readFileSync, writeFileSync } from "node:fs";

const file = process.argv[2] ?? "package-lock.json";
const lock = JSON.parse(readFileSync(file, "utf8"));
const packages = lock.packages;

const OS = { darwin: "darwin", linux: "linux", win32: "win32", windows: "win32" };
const CPU = ["arm64", "x64", "arm", "ia32"];

function platformOf(name) {
  const tokens = name.split("/").pop().split("-");
  const os = tokens.map((t) => OS[t]).find(Boolean);
  const cpu = tokens.find((t) => CPU.includes(t));
  if (!os || !cpu) return undefined;
  const libc = os === "linux" ? (tokens.includes("musl") ? "musl" : "glibc") : undefined;
  return { os, cpu, libc };
}

let added = 0;
for (const [key, entry] of Object.entries(packages)) {
  for (const [dep, spec] of Object.entries(entry.optionalDependencies ?? {})) {
    const depKey = `node_modules/${dep}`;
    if (packages[depKey]) continue;
    const platform = platformOf(dep);
    if (!platform || !/^\d+\.\d+\.\d+/.test(spec)) {
      console.error(`cannot complete ${dep}@${spec} (needed by ${key || "the root"}): add it by hand`);
      process.exitCode = 1;
      continue;
    }
    packages[depKey] = {
      version: spec,
      cpu: [platform.cpu],
      dev: entry.dev ?? undefined,
      ...(platform.libc ? { libc: [platform.libc] } : {}),
      optional: true,
      os: [platform.os],
    };
    added++;
  }
}
lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : 1)));
writeFileSync(file, JSON.stringify(lock, null, 2) + "\n");
console.log(`complete-lockfile: ${added} platform package(s) added to ${file}`);
