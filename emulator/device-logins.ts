// Device logins (RFC 8628) and what each poll of the token endpoint answers.
import { randomBytes, randomInt } from "node:crypto";
import { noteSecrets } from "./secrets-log.ts";

export type LoginStatus = "pending" | "approved" | "denied" | "expired" | "consumed";

export interface DeviceLogin {
  deviceCode: string;
  userCode: string;
  clientId: string;
  status: LoginStatus;
  createdAt: number;
  expiresAt: number;
  /** Interval the emulator currently expects, in seconds; grows by 5 after each slow_down. */
  intervalSec: number;
  /** Every poll of this device code, whatever it answered. */
  polls: number;
  /** Polls answered authorization_pending (auto-approval counts these). */
  pendingPolls: number;
  slowDowns: number;
  lastPollAt: number | null;
  verificationUri: string;
  verificationUriComplete: string;
}

export type PollOutcome =
  | "unknown"
  | "consumed"
  | "expired"
  | "denied"
  | "slow_down"
  | "pending"
  | "approved"
  | "client_mismatch";

export interface PollRules {
  enforceInterval: boolean;
  autoApproveAfterPolls: number | null;
}

/** RFC 8628 §3.5. */
const SLOW_DOWN_STEP_SEC = 5;
/** Timers and the network may deliver a well-behaved poll a hair early. */
const INTERVAL_TOLERANCE_MS = 25;
/** No vowels or look-alikes, so a code never spells a word or is misread. */
const USER_CODE_LETTERS = "BCDFGHJKLMNPQRSTVWXZ";

export class DeviceLoginStore {
  private readonly byDeviceCode = new Map<string, DeviceLogin>();

  create(
    clientId: string,
    intervalSec: number,
    lifetimeSec: number,
    verificationUri: string,
    now = Date.now(),
  ): DeviceLogin {
    let userCode: string;
    do userCode = makeUserCode();
    while (this.findByUserCode(userCode));
    const login: DeviceLogin = {
      deviceCode: randomBytes(24).toString("base64url"),
      userCode,
      clientId,
      status: "pending",
      createdAt: now,
      expiresAt: now + lifetimeSec * 1000,
      intervalSec,
      polls: 0,
      pendingPolls: 0,
      slowDowns: 0,
      lastPollAt: null,
      verificationUri,
      verificationUriComplete: `${verificationUri}?user_code=${encodeURIComponent(userCode)}`,
    };
    this.byDeviceCode.set(login.deviceCode, login);
    noteSecrets("device_code", login.deviceCode);
    return login;
  }

  all(): DeviceLogin[] {
    return [...this.byDeviceCode.values()];
  }

  findByUserCode(userCode: string): DeviceLogin | undefined {
    const wanted = userCode.trim().toUpperCase();
    return this.all().find((l) => l.userCode === wanted);
  }

  /** The login with that user code, or the newest pending one; throws when there is none. */
  pick(userCode: string | undefined, now = Date.now()): DeviceLogin {
    const login =
      userCode === undefined
        ? this.all()
            .filter((l) => this.currentStatus(l, now) === "pending")
            .at(-1)
        : this.findByUserCode(userCode);
    if (!login) throw new Error(userCode === undefined ? "no pending device login" : `no device login with user code ${userCode}`);
    return login;
  }

  currentStatus(login: DeviceLogin, now = Date.now()): LoginStatus {
    if ((login.status === "pending" || login.status === "approved") && now >= login.expiresAt) login.status = "expired";
    return login.status;
  }

  /**
   * Decides the answer to one poll. Terminal states win over slow_down so tests are deterministic;
   * slow_down applies only while the login is still pending. Auto-approval: the first N pending
   * polls answer authorization_pending, poll N+1 succeeds.
   */
  poll(deviceCode: string, clientId: string, rules: PollRules, now = Date.now()): { outcome: PollOutcome; login?: DeviceLogin } {
    const login = this.byDeviceCode.get(deviceCode);
    if (!login) return { outcome: "unknown" };
    if (login.clientId !== clientId) return { outcome: "client_mismatch", login };
    login.polls++;
    const status = this.currentStatus(login, now);
    if (status === "consumed" || status === "expired" || status === "denied") return { outcome: status, login };
    if (status === "pending") {
      const tooFast =
        rules.enforceInterval &&
        login.lastPollAt !== null &&
        now - login.lastPollAt < login.intervalSec * 1000 - INTERVAL_TOLERANCE_MS;
      login.lastPollAt = now;
      if (tooFast) {
        login.intervalSec += SLOW_DOWN_STEP_SEC;
        login.slowDowns++;
        return { outcome: "slow_down", login };
      }
      if (rules.autoApproveAfterPolls === null || login.pendingPolls < rules.autoApproveAfterPolls) {
        login.pendingPolls++;
        return { outcome: "pending", login };
      }
    }
    login.status = "consumed";
    return { outcome: "approved", login };
  }
}

function makeUserCode(): string {
  let letters = "";
  for (let i = 0; i < 4; i++) letters += USER_CODE_LETTERS[randomInt(USER_CODE_LETTERS.length)];
  return `${letters}-${String(randomInt(10_000)).padStart(4, "0")}`;
}
