// Backend command contract types (docs/COMMANDS.md).
//
// Hand-written for now. When ts-rs generates `./bindings/*.ts` from the Rust DTOs, replace the
// declarations below with re-exports (`export type { Role } from './bindings/Role';` …).
// Every other module imports these types from here, never from `bindings/` directly.

export type Role = 'lead' | 'annotator' | 'reviewer' | 'compliance';

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

export type EventKind =
  | 'vault_created'
  | 'login'
  | 'login_failed'
  | 'login_refused'
  | 'account_locked'
  | 'account_unlocked'
  | 'logout'
  | 'user_added'
  | 'user_disabled'
  | 'passphrase_changed'
  | 'recovery_used'
  | 'totp_enabled'
  | 'totp_disabled'
  | 'break_glass_started'
  | 'access_denied'
  | 'audit_viewed'
  | 'audit_verified'
  | 'audit_exported'
  | 'setting_changed'
  | 'demo_seeded';

export type Outcome = 'success' | 'failure' | 'denied';

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

// ---- Value lists the UI iterates over (kept beside the types so they change together) ----

export const ROLES: readonly Role[] = ['lead', 'annotator', 'reviewer', 'compliance'];

export const EVENT_KINDS: readonly EventKind[] = [
  'vault_created',
  'login',
  'login_failed',
  'login_refused',
  'account_locked',
  'account_unlocked',
  'logout',
  'user_added',
  'user_disabled',
  'passphrase_changed',
  'recovery_used',
  'totp_enabled',
  'totp_disabled',
  'break_glass_started',
  'access_denied',
  'audit_viewed',
  'audit_verified',
  'audit_exported',
  'setting_changed',
  'demo_seeded',
];

export const ERROR_CODES: readonly ErrorCode[] = [
  'bad_credentials',
  'account_locked',
  'totp_required',
  'session_expired',
  'not_logged_in',
  'forbidden',
  'invalid_input',
  'not_found',
  'conflict',
  'vault_error',
  'internal',
];
