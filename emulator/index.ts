// startEmulator: two node:http listeners on 127.0.0.1 (the OAuth host and the coding API, as Kimi
// has two hosts), sharing one EmulatorState. Every request is recorded before anything else happens.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { randomBytes } from "node:crypto";
import { handleApi } from "./coding-api.ts";
import { readRequest, send, sendJson, sleep, apiError } from "./http.ts";
import type { HostKind } from "./records.ts";
import { handleMessages, MESSAGES_PATH } from "./messages.ts";
import { handleOAuth } from "./oauth.ts";
import { DEFAULT_OPTIONS, resolveOptions, type EmulatorOptions } from "./options.ts";
import { EmulatorState } from "./state.ts";
import { handleWebTool, isWebToolRequest } from "./web-tools.ts";

export * from "./options.ts";
export { EmulatorState, DEFAULT_REPLY_TEXT, DEFAULT_REASONING_TEXT, HTML_ERROR_PAGE } from "./state.ts";
export type { ScriptedReply, ReplyScript, ChatRequestView } from "./state.ts";
export type { Fault, RecordedRequest, ChatDecision, HostKind } from "./records.ts";
export type { DeviceLogin, LoginStatus } from "./device-logins.ts";
export type { TokenPair } from "./tokens.ts";
export type { UsageSnapshot, WindowUsage } from "./quota.ts";
export { decodeJwt } from "./jwt.ts";
export { GATE_MESSAGE, MEMBERSHIP_MESSAGE, API_PREFIX } from "./coding-api.ts";
export { MESSAGES_PATH, messagesError, missingReasoningIndex } from "./messages.ts";
export { thinkingSignature } from "./anthropic-sse.ts";
export { DEVICE_CODE_GRANT, VERIFICATION_PATH } from "./oauth.ts";
export { SEARCH_PATH, FETCH_PATH, DEFAULT_SEARCH_LIMIT, MAX_SEARCH_LIMIT, defaultSearchResults, defaultPage } from "./web-tools.ts";
export type { SearchResult, SearchQuery, FetchedPage, SearchScript, FetchScript } from "./web-scripts.ts";
export { toolRoundTrip, toolResultsOf } from "./tool-script.ts";
export * from "./kimi-errors.ts";
export { PLATFORM_USER_AGENTS, DEFAULT_QUOTA_ERROR_ROWS } from "./chat-limits.ts";
export { FUNDED_BOOSTER_WALLET, DISABLED_BOOSTER_WALLET, type BoosterWalletForm } from "./usages-body.ts";

export interface RunningEmulator {
  /** e.g. http://127.0.0.1:41234 (no trailing slash). */
  oauthHost: string;
  /** e.g. http://127.0.0.1:41235/coding/v1 (no trailing slash). */
  apiBase: string;
  state: EmulatorState;
  /** Closes both listeners and every open connection, including in-flight SSE. */
  stop(): Promise<void>;
}

const LOOPBACK = "127.0.0.1";

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const state = new EmulatorState(resolveOptions(DEFAULT_OPTIONS, options));
  const closing = new AbortController();
  const sockets = new Set<Socket>();

  const handler = (host: HostKind) => (req: IncomingMessage, res: ServerResponse) => {
    serve(host, req, res).catch((error: unknown) => {
      console.error("[kimi-emulator] handler error:", error);
      if (!res.headersSent) sendJson(res, 500, apiError(`emulator error: ${String(error)}`, "server_error"));
      else (res.socket ?? res).destroy();
    });
  };

  async function serve(host: HostKind, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const request = await readRequest(req, host);
    state.record(request);
    // Every answer goes through writeHead; note its status on the record as it leaves.
    const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
    (res as { writeHead: unknown }).writeHead = (status: number, ...rest: unknown[]) => {
      request.status = status;
      return writeHead(status, ...rest);
    };
    if (host === "api") res.setHeader("x-trace-id", randomBytes(16).toString("hex"));

    const fault = state.takeFault(request);
    if (fault) {
      request.fault = true;
      if (fault.delayMs) await sleep(fault.delayMs, closing.signal);
      if ((res.destroyed && !fault.serveAfterHangUp) || closing.signal.aborted) return;
      // The socket, not the response: bun's res.destroy() may still answer an empty 200.
      if (fault.reset) return void (res.socket ?? res).destroy();
      if (fault.status !== undefined) return sendFault(res, fault.status, fault.body, fault.headers);
    }
    const ctx = { state, request, res, fault, signal: closing.signal };
    if (host === "oauth") handleOAuth(ctx);
    else if (request.path === MESSAGES_PATH) await handleMessages(ctx);
    else if (isWebToolRequest(request.method, request.path)) handleWebTool(ctx);
    else await handleApi(ctx);
  }

  const listen = (host: HostKind, port: number): Promise<Server> =>
    new Promise((resolve, reject) => {
      const server = createServer(handler(host));
      server.on("connection", (socket: Socket) => {
        sockets.add(socket);
        socket.on("close", () => sockets.delete(socket));
      });
      server.once("error", reject);
      server.listen(port, LOOPBACK, () => resolve(server));
    });

  const oauthServer = await listen("oauth", state.options.oauthPort);
  let apiServer: Server;
  try {
    apiServer = await listen("api", state.options.apiPort);
  } catch (e) {
    oauthServer.close();
    throw e;
  }
  const portOf = (s: Server) => (s.address() as { port: number }).port;
  state.oauthHost = `http://${LOOPBACK}:${portOf(oauthServer)}`;
  state.apiBase = `http://${LOOPBACK}:${portOf(apiServer)}/coding/v1`;

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      closing.abort();
      const closed = [oauthServer, apiServer].map((s) => new Promise<void>((r) => s.close(() => r())));
      for (const socket of sockets) socket.destroy();
      (oauthServer as { closeAllConnections?: () => void }).closeAllConnections?.();
      (apiServer as { closeAllConnections?: () => void }).closeAllConnections?.();
      await Promise.all(closed);
    })());

  return { oauthHost: state.oauthHost, apiBase: state.apiBase, state, stop };
}

/** A faulty answer: a string body as is (HTML when it looks like HTML), anything else as JSON. */
function sendFault(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const raw = typeof body === "string" ? body : body === undefined ? "" : JSON.stringify(body);
  const type =
    typeof body !== "string" && body !== undefined
      ? "application/json"
      : raw.trimStart().startsWith("<")
        ? "text/html; charset=utf-8"
        : "text/plain";
  const extra = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  send(res, status, raw, { "content-type": type, ...extra });
}
