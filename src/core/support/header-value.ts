// What an HTTP header value can carry. `Headers.set` throws a TypeError for CR, LF, NUL or any
// character above U+00FF, and bun 1.3.14 (the runtime of opencode 1.18.33) quotes the whole value in
// that message, e.g. `Bearer <key>`. So header values are checked here first, and a failure names
// the header and the kind of character, never the value.

/** A value Headers refused; the message names the header only. */
export class HeaderValueError extends Error {
  constructor(readonly header: string, readonly problem: string) {
    super(`the ${header} header holds ${problem}, which HTTP cannot carry`);
    this.name = "HeaderValueError";
  }
}

/** A readable name for a character, with its code point: "a zero-width character (U+200B)". */
export function describeChar(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, "0")}`;
  let name: string;
  if (cp === 0x0a || cp === 0x0d) name = "a line break";
  else if (cp === 0) name = "a NUL character";
  else if (cp === 0x20 || cp === 0x09 || cp === 0xa0) name = "a space";
  else if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) name = "a control character";
  else if (cp === 0xfeff) name = "a byte-order mark";
  else if ((cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2060 && cp <= 0x2064) || cp === 0xad) name = "an invisible zero-width character";
  else name = "a non-ASCII character";
  return `${name} (${hex})`;
}

/**
 * Why `token` cannot be a bearer token: the first character outside visible ASCII (U+0021–U+007E),
 * which is all Kimi's keys and JWTs are made of. Undefined when the token is fine.
 */
export function tokenProblem(token: string): string | undefined {
  if (token === "") return "nothing";
  for (const ch of token) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp < 0x21 || cp > 0x7e) return describeChar(ch);
  }
  return undefined;
}

/** Why Headers would refuse `value` (inner CR, LF, NUL, or a character above U+00FF); undefined if it would not. */
export function headerValueProblem(value: string): string | undefined {
  // Headers trims leading and trailing HTTP whitespace before checking, so only inner ones count.
  const inner = value.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, "");
  for (const ch of inner) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp === 0 || cp === 0x0a || cp === 0x0d || cp > 0xff) return describeChar(ch);
  }
  return undefined;
}

/** `headers.set(name, value)`, throwing HeaderValueError (value not quoted) instead of Headers' TypeError. */
export function setHeader(headers: Headers, name: string, value: string): void {
  const problem = headerValueProblem(value);
  if (problem) throw new HeaderValueError(name, problem);
  try {
    headers.set(name, value);
  } catch {
    throw new HeaderValueError(name, "a character");
  }
}
