// Where a request goes, as the request path needs to know it: under which API base (the token's only
// destination, AGENTS.md contract 12) and whether it is the Anthropic-compatible route. Pure.

/** Path segments of a parsed URL, dot segments already resolved by the URL parser, no empty tail. */
function segments(u: URL): string[] {
  const parts = u.pathname.split("/");
  while (parts.length > 1 && parts[parts.length - 1] === "") parts.pop();
  return parts;
}

/**
 * True when `url` lies under `base`: same origin (scheme, host, port as the URL parser normalises them)
 * and the base's path segments are a prefix of the URL's after dot-segment resolution, so
 * `<base>/../x`, `<base>x`, `<base>.evil.com` and `user@host` look-alikes are not under it.
 */
export function isUnder(url: string, base: string): boolean {
  let u: URL;
  let b: URL;
  try {
    u = new URL(url);
    b = new URL(base);
  } catch {
    return false;
  }
  if (u.origin !== b.origin || u.origin === "null" || u.username || u.password) return false;
  const us = segments(u);
  const bs = segments(b);
  return bs.length <= us.length && bs.every((part, i) => us[i] === part);
}

/** The API base a URL seems to be meant for (its path without the endpoint), for messages. */
export function baseOf(url: string): string {
  try {
    const u = new URL(url);
    return u.origin + u.pathname.replace(/\/chat\/completions$|\/[^/]*$/, "");
  } catch {
    return url;
  }
}

/** Kimi's Anthropic-compatible route: POST {base}/messages (@ai-sdk/anthropic appends "/messages"). */
export function isMessagesRoute(url: string): boolean {
  try {
    return new URL(url).pathname.replace(/\/+$/, "").endsWith("/messages");
  } catch {
    return false;
  }
}

/**
 * isUnder and isMessagesRoute, remembered per base and URL: opencode sends every turn to the same few
 * URLs, and parsing them was most of what the request path added (bench/RESULTS.md). Bounded: a burst
 * of distinct URLs only empties it.
 */
const verdicts = new Map<string, Map<string, boolean>>();
let remembering = 0;
const VERDICTS_MAX = 256;
function remembered(base: string, url: string, decide: () => boolean): boolean {
  let byUrl = verdicts.get(base);
  let v = byUrl?.get(url);
  if (v === undefined) {
    if (remembering >= VERDICTS_MAX) {
      verdicts.clear();
      remembering = 0;
      byUrl = undefined;
    }
    if (!byUrl) verdicts.set(base, (byUrl = new Map()));
    byUrl.set(url, (v = decide()));
    remembering++;
  }
  return v;
}
/** isUnder, remembered. */
export const under = (url: string, base: string) => remembered(base, url, () => isUnder(url, base));
/** isMessagesRoute, remembered (under a key no base can be). */
export const messagesRoute = (url: string) => remembered("", url, () => isMessagesRoute(url));
