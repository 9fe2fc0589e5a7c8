// The device authorization answer (RFC 8628 §3.2) checked before any of it reaches a timer or opencode:
// the verification URL becomes the link opencode opens and shows, the user code is printed in the
// terminal, and interval / expires_in drive setTimeout (which fires at once for anything above
// 2^31-1 ms, so an absurd value would make the plugin poll hundreds of times a second).
import {
  DEFAULT_DEVICE_CODE_LIFETIME_S,
  DEFAULT_POLL_INTERVAL_S,
  MAX_DEVICE_CODE_LIFETIME_S,
  MAX_POLL_INTERVAL_S,
} from "../config/constants.ts";

/** Longest user code kept (Kimi's are 8 characters); a longer one is cut. */
const MAX_USER_CODE_CHARS = 64;
/** Longest verification URL accepted. */
const MAX_URL_CHARS = 2048;
/** Longest device code accepted (it is only echoed back to the token endpoint). */
export const MAX_DEVICE_CODE_CHARS = 4096;

/**
 * Control characters (C0, DEL, C1: terminal escape sequences start with ESC or CSI) and invisible
 * formatting ones (bidi overrides and isolates, zero-width characters, BOM) that could disguise text.
 */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;

/** Terminal escape sequences as a whole (CSI, OSC up to BEL or ST, two-character ESC sequences). */
const ESCAPE_SEQUENCE = /\u001b\[[0-?]*[ -/]*[@-~]|\u009b[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[ -~]?/g;

/** Text safe to print in a terminal: escape sequences and unprintable characters removed, at most `max` characters. */
export function printable(text: string, max: number): string {
  const clean = text.replace(ESCAPE_SEQUENCE, "").replace(UNPRINTABLE, "").trim();
  const chars = [...clean];
  return chars.length > max ? chars.slice(0, max).join("") : clean;
}

/** The user code as it may be shown: printable, bounded. */
export function safeUserCode(code: string): string {
  return printable(code, MAX_USER_CODE_CHARS);
}

/** A positive number of seconds from a number or numeric string, clamped to [min, max]; `fallback` when absent or invalid. */
export function clampSeconds(value: unknown, fallback: number, min: number, max: number): number {
  const v = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  const n = typeof v === "number" && Number.isFinite(v) && v > 0 ? v : fallback;
  return Math.min(Math.max(n, min), max);
}

export const pollIntervalS = (value: unknown) => clampSeconds(value, DEFAULT_POLL_INTERVAL_S, 1, MAX_POLL_INTERVAL_S);
export const deviceCodeLifetimeS = (value: unknown) => clampSeconds(value, DEFAULT_DEVICE_CODE_LIFETIME_S, 1, MAX_DEVICE_CODE_LIFETIME_S);

function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127(?:\.\d{1,3}){3}$/.test(hostname);
}

/** The site a host belongs to: the host itself for IP addresses and single labels, else its last two labels. */
function siteOf(hostname: string): string {
  if (/^\[.*\]$/.test(hostname) || /^\d{1,3}(?:\.\d{1,3}){3}$/.test(hostname)) return hostname;
  return hostname.split(".").slice(-2).join(".");
}

/**
 * Why `value` must not be offered as the verification link, or undefined when it may: it must be an
 * `https:` URL (`http:` only on a loopback host) on the OAuth host's own site (auth.kimi.com issues
 * www.kimi.com links), without user info, at most 2048 characters and free of unprintable characters.
 */
export function verificationUrlProblem(value: string, oauthHost: string): string | undefined {
  if (value.length > MAX_URL_CHARS) return `it is longer than ${MAX_URL_CHARS} characters`;
  if (printable(value, MAX_URL_CHARS) !== value) return "it contains control or invisible characters";
  let url: URL;
  let issuer: URL;
  try {
    url = new URL(value);
    issuer = new URL(oauthHost);
  } catch {
    return "it is not a URL";
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopback(url.hostname))) {
    return `its scheme is ${printable(url.protocol, 20)} (only https is opened)`;
  }
  if (url.username || url.password) return "it carries user info";
  if (siteOf(url.hostname) !== siteOf(issuer.hostname)) return `it points to ${url.hostname}, not to ${siteOf(issuer.hostname)}`;
  return undefined;
}
