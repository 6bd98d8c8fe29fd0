// App-wide state: which vault is open, who is logged in, idle locking and global messages.
// One instance is created in App.svelte and provided to every view through context.
import { getContext, setContext } from 'svelte';
import * as api from './api/commands';
import { toAppError } from './api/backend';
import type { AppError, SessionInfo, VaultSummary } from './api/types';

export type Phase = 'loading' | 'welcome' | 'login' | 'app';

/** Where to go back to after a lock, and for whom. */
export interface Resume {
  userId: string;
  userName: string;
  hash: string;
}

/** Heartbeats are sent on real input, at most this often. */
export const HEARTBEAT_EVERY_MS = 20_000;
/** `session_status` is polled this often (it does not extend the idle timer). */
export const POLL_EVERY_MS = 10_000;
/** The idle warning toast appears this many seconds before the lock. */
export const WARN_BEFORE_SECS = 60;
/** The status bar countdown appears under this many seconds. */
export const COUNTDOWN_UNDER_SECS = 120;

const CONTEXT_KEY = Symbol('airlock.session');

export class SessionController {
  phase = $state<Phase>('loading');
  vault = $state<VaultSummary | null>(null);
  session = $state<SessionInfo | null>(null);
  defaultVaultDir = $state('');
  /** Idle lock (or a session the backend ended): the opaque overlay replaces the shell. */
  locked = $state(false);
  /** Why the overlay shows: idle timeout, or the backend no longer knows the session. */
  lockReason = $state<'idle' | 'ended'>('idle');
  lockedMinutes = $state(0);
  /** Set by a lock (idle or Ctrl+L) so the same user returns to the same route. */
  resume = $state<Resume | null>(null);
  /** The global error toast (`app-error`). */
  error = $state<AppError | null>(null);
  /** Text for the polite live region ("Saved", "User added", …). */
  announcement = $state('');
  /** Wall clock, ticking once a second while logged in. */
  now = $state(Date.now());

  /** When `session` was last fetched, so the countdown can run between polls. */
  private fetchedAt = $state(Date.now());
  private lastHeartbeat = 0;
  private tickTimer: ReturnType<typeof setInterval> | null = null;
  private pollTimer: ReturnType<typeof setInterval> | null = null;
  private checking = false;
  private readonly onActivity = () => this.activity();

  /** Seconds until the idle lock, or null when not logged in. */
  remainingSecs = $derived.by(() => {
    const s = this.session;
    if (!s) return null;
    return Math.max(0, s.idle_remaining_secs - (this.now - this.fetchedAt) / 1000);
  });

  idleWarning = $derived(this.remainingSecs !== null && this.remainingSecs <= WARN_BEFORE_SECS);

  /** The end of emergency access while it lasts, else null. */
  breakGlassUntil = $derived.by(() => {
    const until = this.session?.break_glass_until;
    if (!until) return null;
    const t = Date.parse(until);
    return Number.isNaN(t) || t <= this.now ? null : until;
  });

  // ---- lifecycle ----

  async start(): Promise<void> {
    try {
      const st = await api.appStatus();
      this.defaultVaultDir = st.default_vault_dir;
      this.vault = st.vault;
      if (st.session) {
        this.enterApp(st.session);
      } else {
        this.phase = st.vault ? 'login' : 'welcome';
      }
    } catch (e) {
      this.showError(toAppError(e));
      this.phase = 'welcome';
    }
  }

  destroy(): void {
    this.stopTimers();
  }

  // ---- vault ----

  /** A vault was created or opened: next comes the login screen. */
  vaultOpened(v: VaultSummary): void {
    this.vault = v;
    this.resume = null;
    this.phase = 'login';
  }

  async closeVault(): Promise<void> {
    try {
      await api.closeVault();
    } catch (e) {
      this.showError(toAppError(e));
      return;
    }
    this.stopTimers();
    this.session = null;
    this.vault = null;
    this.locked = false;
    this.resume = null;
    this.phase = 'welcome';
  }

  // ---- session ----

  /** Called with the answer of `login` (from the login screen or the lock overlay). */
  loggedIn(s: SessionInfo): void {
    const resume = this.resume;
    this.resume = null;
    const target = resume && resume.userId === s.user_id ? resume.hash : '#/home';
    if (typeof location !== 'undefined' && location.hash !== target) location.hash = target;
    this.enterApp(s);
  }

  private enterApp(s: SessionInfo): void {
    this.updateSession(s);
    this.locked = false;
    this.phase = 'app';
    this.lastHeartbeat = Date.now();
    this.startTimers();
  }

  updateSession(s: SessionInfo): void {
    this.session = s;
    this.now = Date.now();
    this.fetchedAt = this.now;
  }

  /** Lock button / Ctrl+L: log out, keep the route for the same user's return. */
  async lock(): Promise<void> {
    const s = this.session;
    if (!s) return;
    this.resume = { userId: s.user_id, userName: s.user_name, hash: currentHash() };
    await this.endSession();
  }

  /** Log out button: back to the login screen, nothing to resume. */
  async logout(): Promise<void> {
    this.resume = null;
    await this.endSession();
  }

  private async endSession(): Promise<void> {
    this.stopTimers();
    this.session = null;
    this.locked = false;
    this.phase = 'login';
    try {
      await api.logout();
    } catch (e) {
      const err = toAppError(e);
      // Already gone is fine: the point was to end it.
      if (err.code !== 'session_expired' && err.code !== 'not_logged_in') this.showError(err);
    }
  }

  /** Shows the opaque lock overlay; unlocking by the same user returns to this route. */
  idleLock(reason: 'idle' | 'ended' = 'idle'): void {
    const s = this.session;
    if (!s || this.phase !== 'app') return;
    this.resume = { userId: s.user_id, userName: s.user_name, hash: currentHash() };
    this.lockedMinutes = Math.max(1, Math.round(s.idle_timeout_secs / 60));
    this.lockReason = reason;
    this.session = null;
    this.locked = true;
    this.stopPolling();
  }

  /**
   * Sorts an error from a command: a session that ended locks the app and returns null (the
   * view shows nothing more); anything else comes back as an `AppError` for the view to show.
   */
  problem(e: unknown): AppError | null {
    const err = toAppError(e);
    if (err.code === 'session_expired') {
      this.idleLock('idle');
      return null;
    }
    if (err.code === 'not_logged_in' && this.phase === 'app') {
      this.idleLock('ended');
      return null;
    }
    return err;
  }

  /** Real user input (keydown, pointerdown, wheel): a heartbeat at most every 20 s. */
  activity(): void {
    if (this.phase !== 'app' || this.locked || !this.session) return;
    const t = Date.now();
    if (t - this.lastHeartbeat < HEARTBEAT_EVERY_MS) return;
    this.lastHeartbeat = t;
    void this.sendHeartbeat();
  }

  /** "Stay unlocked" on the warning toast: an explicit heartbeat, not throttled. */
  async stayUnlocked(): Promise<void> {
    this.lastHeartbeat = Date.now();
    await this.sendHeartbeat();
  }

  private async sendHeartbeat(): Promise<void> {
    try {
      this.updateSession(await api.heartbeat());
    } catch (e) {
      const err = this.problem(e);
      if (err) this.showError(err);
    }
  }

  /** Polls `session_status`; a null answer means the backend has idle-locked us. */
  async checkSession(): Promise<void> {
    if (this.checking || this.phase !== 'app' || this.locked) return;
    this.checking = true;
    try {
      const s = await api.sessionStatus();
      if (this.phase !== 'app' || this.locked) return;
      if (s === null) this.idleLock('idle');
      else this.updateSession(s);
    } catch (e) {
      const err = this.problem(e);
      if (err) this.showError(err);
    } finally {
      this.checking = false;
    }
  }

  // ---- messages ----

  showError(err: AppError): void {
    this.error = err;
    this.announce(err.message);
  }

  dismissError(): void {
    this.error = null;
  }

  /** Says `msg` through the polite live region (repeats are announced again). */
  announce(msg: string): void {
    this.announcement = this.announcement === msg ? `${msg}\u00a0` : msg;
  }

  // ---- timers ----

  private startTimers(): void {
    this.stopTimers();
    this.tickTimer = setInterval(() => this.tick(), 1000);
    this.pollTimer = setInterval(() => void this.checkSession(), POLL_EVERY_MS);
    if (typeof window !== 'undefined') {
      const opts = { capture: true, passive: true } as const;
      window.addEventListener('keydown', this.onActivity, opts);
      window.addEventListener('pointerdown', this.onActivity, opts);
      window.addEventListener('wheel', this.onActivity, opts);
    }
  }

  private tick(): void {
    this.now = Date.now();
    // The local countdown ran out: ask now rather than wait for the next poll.
    if (this.remainingSecs !== null && this.remainingSecs <= 0) void this.checkSession();
  }

  private stopPolling(): void {
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = null;
  }

  private stopTimers(): void {
    this.stopPolling();
    if (this.tickTimer) clearInterval(this.tickTimer);
    this.tickTimer = null;
    if (typeof window !== 'undefined') {
      const opts = { capture: true } as const;
      window.removeEventListener('keydown', this.onActivity, opts);
      window.removeEventListener('pointerdown', this.onActivity, opts);
      window.removeEventListener('wheel', this.onActivity, opts);
    }
  }
}

function currentHash(): string {
  return typeof location !== 'undefined' && location.hash ? location.hash : '#/home';
}

export function provideSession(ctl: SessionController): SessionController {
  return setContext(CONTEXT_KEY, ctl);
}

export function useSession(): SessionController {
  const ctl = getContext<SessionController | undefined>(CONTEXT_KEY);
  if (!ctl) throw new Error('SessionController not provided');
  return ctl;
}

/** For tests that render a single view: `render(View, { context: sessionContext(ctl) })`. */
export function sessionContext(ctl: SessionController): Map<symbol, SessionController> {
  return new Map([[CONTEXT_KEY, ctl]]);
}
