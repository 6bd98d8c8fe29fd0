// Backend command contract types (docs/COMMANDS.md).
//
// Types that ts-rs already generates into `./bindings/` are re-exported from there; the rest are
// hand-written from the contract until their Rust DTOs are exported too (then swap each
// declaration for a re-export). Every other module imports types from here, never from
// `bindings/` directly.
import type { EventKind } from './bindings/EventKind';
import type { Outcome } from './bindings/Outcome';
import type { Role } from './bindings/Role';

export type { EventKind } from './bindings/EventKind';
export type { Outcome } from './bindings/Outcome';
export type { Role } from './bindings/Role';

export type ErrorCode =
  | 'bad_credentials'
  | 'account_locked'
  | 'totp_required'
  | 'session_expired'
  | 'not_logged_in'
  | 'forbidden'
  | 'invalid_input'
  | 'not_found'
  | 'conflict'
  | 'vault_error'
  | 'internal';

export type AppError = { code: ErrorCode; message: string };

export type VaultSummary = { path: string; vault_id: string; format_version: number };

export type CreatedVault = { vault: VaultSummary; recovery_code: string };

export type DemoUser = { name: string; role: Role; passphrase: string };

export type DemoInfo = { vault: VaultSummary; users: DemoUser[] };

export type SessionInfo = {
  session_id: string;
  user_id: string;
  user_name: string;
  role: Role;
  project_name: string;
  idle_timeout_secs: number;
  idle_remaining_secs: number;
  break_glass_until: string | null;
  totp_enabled: boolean;
};

export type AppStatus = {
  vault: VaultSummary | null;
  session: SessionInfo | null;
  default_vault_dir: string;
};

export type UserStatus = 'active' | 'disabled' | 'locked';

export type UserDto = {
  id: string;
  name: string;
  role: Role;
  status: UserStatus;
  totp_enabled: boolean;
  created_at: string;
  locked_until: string | null;
};

/** `from`/`to`: "YYYY-MM-DD" (inclusive days, UTC). */
export type AuditFilter = {
  actor: string | null;
  action: EventKind | null;
  from: string | null;
  to: string | null;
  failures_only: boolean;
  break_glass_only: boolean;
  offset: number;
  limit: number;
};

export type AuditRow = {
  seq: number;
  id: string;
  ts: string;
  actor_id: string | null;
  actor_name: string | null;
  actor_role: Role | null;
  action: EventKind;
  outcome: Outcome;
  object_kind: string | null;
  object_id: string | null;
  object_name: string | null;
  detail: string;
  break_glass: boolean;
  prev_hash: string;
  hash: string;
};

export type AuditPage = { rows: AuditRow[]; total: number };

export type ProblemKind =
  | 'changed'
  | 'removed'
  | 'inserted'
  | 'reordered'
  | 'malformed'
  | 'bad_signature'
  | 'truncated';

export type ChainProblem = { seq: number; kind: ProblemKind; message: string };

export type VerifyReport = {
  ok: boolean;
  events: number;
  head_hash: string;
  checkpoints: number;
  signers: string[];
  problem: ChainProblem | null;
};

export type Policy = {
  max_failed_logins: number;
  lockout_minutes: number;
  idle_timeout_minutes: number;
};

export type KdfInfo = { memory_kib: number; iterations: number; parallelism: number };

export type VaultInfo = {
  vault_id: string;
  project_name: string;
  path: string;
  format_version: number;
  created_at: string;
  kdf: KdfInfo;
  users: number;
  key_slots: number;
  recovery_slot: boolean;
  audit_events: number;
  policy: Policy;
};

export type TotpSetup = { secret_base32: string; otpauth_uri: string };

export type ExportResult = { path: string; events: number };

export type ExportFormat = 'csv' | 'jsonl';

// ---- Value lists the UI iterates over ----
// Built from records keyed by the union, so the compiler fails when a variant is added or
// removed in Rust and not here.

const ROLE_SET: Record<Role, true> = { lead: true, annotator: true, reviewer: true, compliance: true };
export const ROLES = Object.keys(ROLE_SET) as readonly Role[];

const EVENT_KIND_SET: Record<EventKind, true> = {
  vault_created: true,
  login: true,
  login_failed: true,
  login_refused: true,
  account_locked: true,
  account_unlocked: true,
  logout: true,
  user_added: true,
  user_disabled: true,
  passphrase_changed: true,
  recovery_used: true,
  totp_enabled: true,
  totp_disabled: true,
  break_glass_started: true,
  access_denied: true,
  audit_viewed: true,
  audit_verified: true,
  audit_exported: true,
  setting_changed: true,
  demo_seeded: true,
};
export const EVENT_KINDS = Object.keys(EVENT_KIND_SET) as readonly EventKind[];

const ERROR_CODE_SET: Record<ErrorCode, true> = {
  bad_credentials: true,
  account_locked: true,
  totp_required: true,
  session_expired: true,
  not_logged_in: true,
  forbidden: true,
  invalid_input: true,
  not_found: true,
  conflict: true,
  vault_error: true,
  internal: true,
};
export const ERROR_CODES = Object.keys(ERROR_CODE_SET) as readonly ErrorCode[];
