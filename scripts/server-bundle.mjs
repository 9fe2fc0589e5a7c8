// How the opencode server plugin is bundled for the package (scripts/build.mjs) and for the tests that
// check the bundle (test/server/bundle.test.ts): one place, so both build the same thing.
export const SERVER_ENTRY = "src/server/index.ts";

/** `bun build` arguments writing the bundle (index.js + chunks/) into `outdir`. */
export function serverBundleArgs(outdir) {
  return [
    "build",
    SERVER_ENTRY,
    "--target=bun",
    "--splitting",
    "--outdir",
    outdir,
    "--chunk-naming",
    "chunks/[name]-[hash].[ext]",
    "--external",
    "@opencode-ai/plugin",
  ];
}
