// Shared helpers for the emulator tests: one emulator per test, form posts, chat calls, SSE parsing.
import { afterEach, beforeEach } from "bun:test";
import { DEVICE_CODE_GRANT, KIMI_CLIENT_ID, startEmulator, type EmulatorOptions, type RunningEmulator } from "../../emulator/index.ts";

export const GOOD_UA = "opencode/1.18.33";

/** A fresh emulator before each test of the file, stopped after it. */
export function useEmulator(options: EmulatorOptions = {}): { emu: RunningEmulator } {
  const box = {} as { emu: RunningEmulator };
  beforeEach(async () => {
    box.emu = await startEmulator(options);
  });
  afterEach(async () => {
    await box.emu.stop();
  });
  return box;
}

export interface JsonAnswer {
  status: number;
  headers: Headers;
  json: Record<string, any>;
}

export async function postForm(url: string, fields: Record<string, string>): Promise<JsonAnswer> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, any> };
}

export function startDeviceLogin(emu: RunningEmulator, clientId = KIMI_CLIENT_ID): Promise<JsonAnswer> {
  return postForm(`${emu.oauthHost}/api/oauth/device_authorization`, { client_id: clientId });
}

export function pollToken(emu: RunningEmulator, deviceCode: string, clientId = KIMI_CLIENT_ID): Promise<JsonAnswer> {
  return postForm(`${emu.oauthHost}/api/oauth/token`, {
    client_id: clientId,
    device_code: deviceCode,
    grant_type: DEVICE_CODE_GRANT,
  });
}

export function refresh(emu: RunningEmulator, refreshToken: string, clientId = KIMI_CLIENT_ID): Promise<JsonAnswer> {
  return postForm(`${emu.oauthHost}/api/oauth/token`, {
    client_id: clientId,
    grant_type: "refresh_token",
    refresh_token: refreshToken,
  });
}

export async function getJson(url: string, bearer?: string, headers: Record<string, string> = {}): Promise<JsonAnswer> {
  const res = await fetch(url, { headers: { ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), ...headers } });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, any> };
}

/** POST /chat/completions; `bearer` null sends no Authorization header. */
export function chat(
  emu: RunningEmulator,
  body: Record<string, unknown> | string,
  opts: { bearer?: string | null; headers?: Record<string, string> } = {},
): Promise<Response> {
  const bearer = opts.bearer === undefined ? emu.state.mintTokens().access_token : opts.bearer;
  return fetch(`${emu.apiBase}/chat/completions`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "user-agent": GOOD_UA,
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      ...opts.headers,
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

export const HELLO = { model: "kimi-for-coding", messages: [{ role: "user", content: "hi" }] };

/** Splits an SSE body into the JSON of each `data:` event; "[DONE]" stays a string. */
export function parseSse(text: string): any[] {
  const events: any[] = [];
  for (const block of text.split("\n\n")) {
    if (block.trim() === "") continue;
    if (!block.startsWith("data: ")) throw new Error(`not an SSE data event: ${JSON.stringify(block)}`);
    const data = block.slice("data: ".length);
    events.push(data === "[DONE]" ? data : JSON.parse(data));
  }
  return events;
}

/** Reads a body until it ends or errors; returns what arrived and the error, if any. */
export async function readAll(res: Response): Promise<{ text: string; error: unknown }> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { text, error: undefined };
      text += decoder.decode(value, { stream: true });
    }
  } catch (error) {
    return { text, error };
  }
}
