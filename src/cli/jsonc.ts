// JSON with comments, as opencode reads opencode.json and opencode.jsonc: `//` and `/* */` comments
// and trailing commas are allowed (opencode parses with jsonc-parser; 3kaiu/opencode-x
// packages/opencode/src/config/config.ts). This removes what JSON.parse cannot take, strings intact.

/** Walks `text`, copying string literals as they are and handing everything else to `other`. */
function outsideStrings(text: string, other: (text: string, i: number) => { out: string; next: number }): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"') {
      const start = i++;
      while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
      out += text.slice(start, ++i);
      continue;
    }
    const step = other(text, i);
    out += step.out;
    i = step.next;
  }
  return out;
}

function dropComment(text: string, i: number): { out: string; next: number } {
  if (text[i] === "/" && text[i + 1] === "/") {
    const end = text.indexOf("\n", i);
    return { out: "", next: end === -1 ? text.length : end };
  }
  if (text[i] === "/" && text[i + 1] === "*") {
    const end = text.indexOf("*/", i + 2);
    const stop = end === -1 ? text.length : end + 2;
    return { out: text.slice(i, stop).replace(/[^\n]/g, " "), next: stop }; // keeps line numbers
  }
  return { out: text[i]!, next: i + 1 };
}

function dropTrailingComma(text: string, i: number): { out: string; next: number } {
  if (text[i] !== ",") return { out: text[i]!, next: i + 1 };
  let j = i + 1;
  while (j < text.length && /\s/.test(text[j]!)) j++;
  return { out: text[j] === "}" || text[j] === "]" ? " " : ",", next: i + 1 };
}

export function stripJsonc(text: string): string {
  return outsideStrings(outsideStrings(text, dropComment), dropTrailingComma);
}

/** Parses JSONC; throws a SyntaxError whose message says what is wrong. */
export function parseJsonc(text: string): unknown {
  return JSON.parse(stripJsonc(text.replace(/^\uFEFF/, "")));
}
