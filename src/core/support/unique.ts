// Names that must not collide: random suffixes for temp files and lock stamps, and a stable short hash
// for cache file names. Both without `node:crypto`, whose import alone costs milliseconds at every
// opencode start (bench/RESULTS.md): random bytes come from the global Web Crypto, which bun and
// Node ≥ 19 provide, and the hash is FNV-1a (no secrecy needed, only spread).

/** `bytes` random bytes as lower-case hex. */
export function randomHex(bytes: number): string {
  const buf = new Uint8Array(bytes);
  globalThis.crypto.getRandomValues(buf);
  let out = "";
  for (const b of buf) out += b.toString(16).padStart(2, "0");
  return out;
}

function fnv1a32(text: string, basis: number): number {
  let h = basis >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** A 16-hex-digit hash of `text`, the same on every run and machine (two FNV-1a lanes). */
export function stableHash(text: string): string {
  const a = fnv1a32(text, 0x811c9dc5);
  const b = fnv1a32(`${text.length}:${text}`, 0x050c5d1f);
  return a.toString(16).padStart(8, "0") + b.toString(16).padStart(8, "0");
}
