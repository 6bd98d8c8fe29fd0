// Small pure formatting helpers (no locale surprises: fixed formats, tabular numbers in CSS).
import type { EventKind, Role } from './api/types';

const pad = (n: number) => String(n).padStart(2, '0');

/** "14:32" in local time. */
export function hhmm(iso: string | number | Date): string {
  const d = new Date(iso);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** "2026-11-25 14:32" in local time. */
export function localDateTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hhmm(d)}`;
}

/** "2026-11-25" in local time. */
export function localDate(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** "2026-11-25 14:32:07" in UTC (the audit log's day filters are UTC days). */
export function utcDateTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

/** "20261125-143207" for file names, local time. */
export function stamp(d: Date = new Date()): string {
  return (
    `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}-` +
    `${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`
  );
}

/** "2026-11-25", local date, for file names. */
export function isoDay(d: Date = new Date()): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** "1:05" from seconds. */
export function mmss(totalSecs: number): string {
  const s = Math.max(0, Math.ceil(totalSecs));
  return `${Math.floor(s / 60)}:${pad(s % 60)}`;
}

/** "48,211" (fixed grouping, independent of the OS locale). */
export function count(n: number): string {
  return String(Math.trunc(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** "1 label change", "3 label changes": a count with its noun in the right number. */
export function counted(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}

/** "ABCD EFGH IJKL" for secrets people type by hand. */
export function groupsOf4(s: string): string {
  return s.replace(/\s+/g, '').replace(/(.{4})(?=.)/g, '$1 ');
}

/** "a3f09c1d22e4…" */
export function shortHash(h: string, n = 12): string {
  return h.length > n ? `${h.slice(0, n)}…` : h;
}

/**
 * Joins a directory from the backend and a file name, keeping the directory's separator
 * (backslash on Windows paths, slash elsewhere).
 */
export function joinPath(dir: string, name: string): string {
  if (!dir) return name;
  const sep = dir.includes('\\') && !dir.includes('/') ? '\\' : '/';
  return dir.replace(/[\\/]+$/, '') + sep + name;
}

const EVENT_LABELS: Record<EventKind, string> = {
  vault_created: 'Vault created',
  login: 'Login',
  login_failed: 'Login failed',
  login_refused: 'Login refused',
  account_locked: 'Account locked',
  account_unlocked: 'Account unlocked',
  logout: 'Logout',
  user_added: 'User added',
  user_disabled: 'User disabled',
  passphrase_changed: 'Passphrase changed',
  recovery_used: 'Recovery code used',
  totp_enabled: '2FA turned on',
  totp_disabled: '2FA turned off',
  break_glass_started: 'Emergency access started',
  access_denied: 'Access denied',
  audit_viewed: 'Audit log viewed',
  audit_verified: 'Audit chain verified',
  audit_exported: 'Audit log exported',
  setting_changed: 'Setting changed',
  demo_seeded: 'Demo data added',
  ingest_started: 'Receiving started',
  ingest_completed: 'Delivery received',
  ingest_interrupted: 'Receiving interrupted',
  ingest_refused: 'Delivery refused',
  ingest_repeated: 'Delivery offered again',
  batch_released: 'Batch released',
  batch_aborted: 'Batch aborted',
  receipt_exported: 'Receipt exported',
  source_items_viewed: 'Source items listed',
  deid_run: 'De-identification run',
  original_viewed: 'Original viewed',
  deid_revised: 'De-identification corrected',
  deid_validated: 'De-identification validated',
  deid_signed_off: 'De-identification signed off',
  deid_settings_changed: 'De-identification settings changed',
  region_template_saved: 'Device region template kept',
  region_template_removed: 'Device region template removed',
  schema_created: 'Schema created',
  schema_published: 'Schema published',
  items_assigned: 'Items assigned',
  item_viewed: 'Item viewed',
  annotation_changed: 'Label saved',
  annotation_submitted: 'Labels submitted',
  review_decided: 'Review decision',
  agreement_viewed: 'Agreement viewed',
  deliverable_exported: 'Deliverable exported',
  qualification_recorded: 'Qualification recorded',
  retention_set: 'Retention set',
  destruction_started: 'Destruction started',
  destruction_refused: 'Destruction refused',
  contact_exported: 'Contact card written',
  contact_imported: 'Contact card imported',
  package_issued: 'Work package issued',
  package_opened: 'Work package opened',
  package_returned: 'Work package returned',
  package_merged: 'Work package merged',
  package_refused: 'Work package refused',
  package_revoked: 'Work package revoked',
};

export function eventLabel(kind: EventKind): string {
  return EVENT_LABELS[kind] ?? kind;
}

const ROLE_LABELS: Record<Role, string> = {
  lead: 'Lead',
  annotator: 'Annotator',
  reviewer: 'Reviewer',
  compliance: 'Compliance',
};

export function roleLabel(role: Role): string {
  return ROLE_LABELS[role] ?? role;
}

/** "1.5 MiB" (binary units; "512 B" below 1 KiB). */
export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u += 1;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** "1:05" for a number of seconds. */
export function minsecs(secs: number): string {
  const s = Math.max(0, Math.round(secs));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}
