// One typed wrapper per backend command (docs/COMMANDS.md). Each calls `invoke` exactly once;
// argument keys are camelCase (Tauri maps them to the Rust snake_case names).
import type { IBackend } from './backend';
import type {
  AppStatus,
  AuditFilter,
  AuditPage,
  CreatedVault,
  DemoInfo,
  ExportFormat,
  ExportResult,
  Role,
  SessionInfo,
  TotpSetup,
  UserDto,
  VaultInfo,
  VaultSummary,
  VerifyReport,
} from './types';

let backend: IBackend | null = null;

/** Sets the backend once at startup (tests may call it again with a fresh fake). */
export function setBackend(b: IBackend): void {
  backend = b;
}

export function getBackend(): IBackend {
  if (!backend) throw new Error('backend not set: call setBackend() at startup');
  return backend;
}

function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  return getBackend().invoke<T>(cmd, args);
}

// ---- vault ----

export function appStatus(): Promise<AppStatus> {
  return call<AppStatus>('app_status');
}

export function createVault(
  path: string,
  projectName: string,
  leadName: string,
  passphrase: string,
): Promise<CreatedVault> {
  return call<CreatedVault>('create_vault', { path, projectName, leadName, passphrase });
}

export function openVault(path: string): Promise<VaultSummary> {
  return call<VaultSummary>('open_vault', { path });
}

export function closeVault(): Promise<null> {
  return call<null>('close_vault');
}

export function createDemo(path: string): Promise<DemoInfo> {
  return call<DemoInfo>('create_demo', { path });
}

export function vaultInfo(): Promise<VaultInfo> {
  return call<VaultInfo>('vault_info');
}

// ---- session ----

export function login(
  userName: string,
  passphrase: string,
  totpCode: string | null,
): Promise<SessionInfo> {
  return call<SessionInfo>('login', { userName, passphrase, totpCode });
}

export function logout(): Promise<null> {
  return call<null>('logout');
}

/** User activity: extends the idle timer. */
export function heartbeat(): Promise<SessionInfo> {
  return call<SessionInfo>('heartbeat');
}

/** Does not extend the idle timer; `null` once idle-locked or logged out. */
export function sessionStatus(): Promise<SessionInfo | null> {
  return call<SessionInfo | null>('session_status');
}

// ---- users ----

export function listUsers(): Promise<UserDto[]> {
  return call<UserDto[]>('list_users');
}

export function addUser(name: string, role: Role, passphrase: string): Promise<UserDto> {
  return call<UserDto>('add_user', { name, role, passphrase });
}

export function disableUser(name: string): Promise<null> {
  return call<null>('disable_user', { name });
}

export function unlockUser(name: string): Promise<null> {
  return call<null>('unlock_user', { name });
}

// ---- own account ----

export function changePassphrase(current: string, next: string): Promise<null> {
  return call<null>('change_passphrase', { current, next });
}

export function totpBegin(): Promise<TotpSetup> {
  return call<TotpSetup>('totp_begin');
}

export function totpConfirm(code: string): Promise<null> {
  return call<null>('totp_confirm', { code });
}

export function totpDisable(code: string): Promise<null> {
  return call<null>('totp_disable', { code });
}

export function startBreakGlass(reason: string, minutes: number): Promise<SessionInfo> {
  return call<SessionInfo>('start_break_glass', { reason, minutes });
}

// ---- audit ----

export function auditQuery(filter: AuditFilter): Promise<AuditPage> {
  return call<AuditPage>('audit_query', { filter });
}

export function auditVerify(): Promise<VerifyReport> {
  return call<VerifyReport>('audit_verify');
}

export function auditExport(format: ExportFormat, path: string): Promise<ExportResult> {
  return call<ExportResult>('audit_export', { format, path });
}
