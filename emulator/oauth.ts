// The OAuth host: device authorization, token endpoint (device_code and refresh_token grants) and a
// tiny verification page. Wire facts: kimi-cli-wire.md §4 (form-encoded, public client id, no scope).
import { isObject, oauthError, send, sendJson, type RouteContext } from "./http.ts";

export const DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";
export const VERIFICATION_PATH = "/device";

const NO_STORE = { "cache-control": "no-store" };

export function handleOAuth(ctx: RouteContext): void {
  const { request, res } = ctx;
  const route = `${request.method} ${request.path}`;
  switch (route) {
    case "POST /api/oauth/device_authorization":
      return deviceAuthorization(ctx);
    case "POST /api/oauth/token":
      return token(ctx);
    case `GET ${VERIFICATION_PATH}`:
      return verificationPage(ctx);
    case `POST ${VERIFICATION_PATH}/approve`:
    case `POST ${VERIFICATION_PATH}/deny`:
      return verificationDecision(ctx, request.path.endsWith("/approve") ? "approve" : "deny");
    default:
      sendJson(res, 404, oauthError("not_found", `${route} does not exist on the OAuth host`));
  }
}

function form(ctx: RouteContext): Record<string, string> {
  const body = ctx.request.body;
  if (!isObject(body)) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) if (typeof v === "string") out[k] = v;
  return out;
}

function deviceAuthorization(ctx: RouteContext): void {
  const { state, res } = ctx;
  const clientId = form(ctx).client_id;
  if (!clientId || !state.options.clientIds.includes(clientId)) {
    return sendJson(res, 400, oauthError("invalid_client", clientId ? "Unknown client_id." : "client_id is required."));
  }
  const opts = state.options;
  const login = state.deviceLogins.create(
    clientId,
    opts.pollIntervalSec,
    opts.deviceCodeLifetimeSec,
    `${state.oauthHost}${VERIFICATION_PATH}`,
  );
  opts.onDeviceLogin?.({ userCode: login.userCode, verificationUriComplete: login.verificationUriComplete });
  sendJson(
    res,
    200,
    {
      device_code: login.deviceCode,
      user_code: login.userCode,
      verification_uri: login.verificationUri,
      verification_uri_complete: login.verificationUriComplete,
      expires_in: opts.deviceCodeLifetimeSec,
      interval: opts.pollIntervalSec,
    },
    NO_STORE,
  );
}

function token(ctx: RouteContext): void {
  const { res, state } = ctx;
  const f = form(ctx);
  const grant = f.grant_type;
  if (!grant) return sendJson(res, 400, oauthError("invalid_request", "grant_type is required."));
  if (grant !== DEVICE_CODE_GRANT && grant !== "refresh_token") {
    return sendJson(res, 400, oauthError("unsupported_grant_type", `grant_type ${grant} is not supported.`));
  }
  const needed = grant === DEVICE_CODE_GRANT ? "device_code" : "refresh_token";
  const missing = ["client_id", needed].filter((k) => !f[k]);
  if (missing.length > 0) return sendJson(res, 400, oauthError("invalid_request", `Missing ${missing.join(", ")}.`));
  const clientId = f.client_id!;
  if (!state.options.clientIds.includes(clientId)) return sendJson(res, 400, oauthError("invalid_client", "Unknown client_id."));
  if (grant === DEVICE_CODE_GRANT) return pollDeviceCode(ctx, f.device_code!, clientId);

  const result = state.tokens.rotate(f.refresh_token!, state.options.singleUseRefreshTokens, state.issueOptions(undefined, clientId));
  if (typeof result === "string") {
    const why = { unknown: "is unknown or revoked", used: "was already used", expired: "has expired", ok: "" }[result];
    return sendJson(res, 401, oauthError("invalid_grant", `The refresh token ${why}.`), NO_STORE);
  }
  sendJson(res, 200, result, NO_STORE);
}

function pollDeviceCode(ctx: RouteContext, deviceCode: string, clientId: string): void {
  const { res, state } = ctx;
  const opts = state.options;
  const { outcome, login } = state.deviceLogins.poll(deviceCode, clientId, {
    enforceInterval: opts.enforcePollInterval,
    autoApproveAfterPolls: opts.autoApproveAfterPolls,
  });
  switch (outcome) {
    case "unknown":
      return sendJson(res, 400, oauthError("invalid_grant", "The device code is unknown."));
    case "client_mismatch":
      return sendJson(res, 400, oauthError("invalid_grant", "The device code was issued to another client."));
    case "consumed":
      return sendJson(res, 400, oauthError("invalid_grant", "The device code was already used."));
    case "expired":
      return sendJson(res, 400, oauthError("expired_token", "The device code has expired."));
    case "denied":
      return sendJson(res, 400, oauthError("access_denied", "The user denied the authorization request."));
    case "slow_down":
      return sendJson(
        res,
        opts.pendingStatus,
        oauthError("slow_down", `Polling too fast; wait at least ${login!.intervalSec} seconds between polls.`),
      );
    case "pending":
      return sendJson(res, opts.pendingStatus, oauthError("authorization_pending", "The user has not yet authorized this device."));
    case "approved":
      return sendJson(res, 200, state.tokens.issue(state.issueOptions(undefined, clientId)), NO_STORE);
  }
}

// --- verification page (for a human running the demo) ---

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(res: RouteContext["res"], status: number, body: string): void {
  const html = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Kimi Code emulator</title></head><body style="font-family:sans-serif;max-width:32em;margin:3em auto">${body}</body></html>`;
  send(res, status, html, { "content-type": "text/html; charset=utf-8" });
}

function verificationPage(ctx: RouteContext): void {
  const code = ctx.request.query.user_code ?? "";
  const login = code ? ctx.state.deviceLogins.findByUserCode(code) : undefined;
  if (!login) {
    return page(
      ctx.res,
      code ? 404 : 200,
      `<h1>Kimi Code emulator</h1>${code ? `<p>No login with code <b>${escapeHtml(code)}</b>.</p>` : ""}
<form method="get" action="${VERIFICATION_PATH}"><label>User code <input name="user_code"></label> <button>Continue</button></form>`,
    );
  }
  const status = ctx.state.deviceLogins.currentStatus(login);
  const hidden = `<input type="hidden" name="user_code" value="${escapeHtml(login.userCode)}">`;
  const buttons =
    status === "pending"
      ? `<form method="post" action="${VERIFICATION_PATH}/approve">${hidden}<button>Approve</button></form>
<form method="post" action="${VERIFICATION_PATH}/deny">${hidden}<button>Deny</button></form>`
      : `<p>This login is ${escapeHtml(status)}.</p>`;
  page(ctx.res, 200, `<h1>Authorize device</h1><p>User code: <b>${escapeHtml(login.userCode)}</b></p>${buttons}`);
}

function verificationDecision(ctx: RouteContext, decision: "approve" | "deny"): void {
  const code = form(ctx).user_code ?? "";
  try {
    if (decision === "approve") ctx.state.approve(code);
    else ctx.state.deny(code);
  } catch (e) {
    return page(ctx.res, 400, `<h1>Cannot ${decision}</h1><p>${escapeHtml((e as Error).message)}</p>`);
  }
  page(ctx.res, 200, `<h1>${decision === "approve" ? "Approved" : "Denied"}</h1><p>You can return to your terminal.</p>`);
}
