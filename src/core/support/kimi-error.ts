// A failure of the plugin itself (not a server answer): its kind, and the HTTP status the request path
// reports it as (`kimi_<kind>` is the error type). Final kinds use 4xx statuses opencode does not retry
// (errors.ts OPENCODE_RETRY_PATTERNS); only a login server out of reach for a moment is a 503.
export type KimiErrorKind =
  | "login-required"
  | "refresh-unavailable"
  // the login server did not answer in time: final, so that opencode does not wait out a silent retry loop
  | "refresh-no-answer"
  | "wrong-base"
  | "bad-key"
  | "bad-credential"
  | "bad-header"
  | "redirect"
  // a permanent refusal of the refresh grant that logging in again may not fix (invalid_client, …)
  | "refresh-refused"
  // the plugin itself failed; final, so that opencode shows it at once instead of retrying silently
  | "plugin-error";

/** A failure of the plugin itself (not a server answer), with the HTTP status it is reported as. */
export class KimiError extends Error {
  constructor(
    readonly kind: KimiErrorKind,
    message: string,
  ) {
    super(message);
    this.name = "KimiError";
  }

  get status(): number {
    switch (this.kind) {
      case "login-required":
      case "bad-key":
      case "bad-credential":
        return 401;
      case "wrong-base":
      case "bad-header":
      case "redirect":
      case "refresh-refused":
      case "refresh-no-answer":
      case "plugin-error":
        return 400;
      case "refresh-unavailable":
        return 503;
    }
  }
}
