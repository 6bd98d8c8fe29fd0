// In-memory stand-in for the Rust backend. It implements the command contract well enough for
// component tests and for `npm run dev` in a plain browser: vaults on a fake disk, users and
// roles, passphrase and TOTP checks, lockout, idle expiry, break-glass and an audit log with a
// fake hash chain. It has no cryptography and must never be used inside Tauri.
import type { IBackend } from './backend';
import { boxStates, pairIou } from '../image/shapes';
import type {
  AppError,
  ContactInfo,
  ImageInfo,
  MergeReport,
  PackageDto,
  PackageStatus,
  ProjectOverview,
  StageState,
  StageSummary,
  AppStatus,
  AuditFilter,
  AuditPage,
  AuditRow,
  AuditSegment,
  CreatedVault,
  DemoInfo,
  DemoUser,
  ErrorCode,
  EventKind,
  ExportResult,
  Outcome,
  Policy,
  Role,
  SessionInfo,
  TotpSetup,
  UserDto,
  VaultInfo,
  VaultSummary,
  VerifyReport,
  ChainProblem,
  BatchDecision,
  BatchDto,
  BatchStatus,
  ContentKind,
  IngestPreflight,
  IngestProgress,
  IngestReport,
  IngestRequest,
  ItemDto,
  ItemFilter,
  ItemPage,
  ReceiptCheck,
  ReceiptExport,
  ReportFile,
  Verdict,
  VerdictCount,
  DeidBatchState,
  DeidQueueRow,
  DeidReview,
  DeidRunReport,
  DeidSettings,
  DeidSignOff,
  DeidSpan,
  DeidSpanEdit,
  DeidStatus,
  DicomRegion,
  DicomReview,
  RegionTemplateDto,
  AgreementDto,
  AnnotateView,
  AnnotationValue,
  AssignPlan,
  AssignRequest,
  AssignmentStatus,
  ProgressRow,
  QueueEntry,
  ReviewDecision,
  ReviewRow,
  ReviewView,
  SaveResult,
  SchemaDto,
  Task,
  SchemaInput,
  CertificateCheckDto,
  DestroyReport,
  DestroyRequest,
  ExportDto,
  ExportReport,
  ExportRequest,
  QualificationDto,
  QualificationInput,
  RetentionDto,
} from './types';
import { VERDICTS } from './types';

export interface MockOptions {
  /** Delay before every answer, in ms (0 in tests). */
  latencyMs?: number;
  /** Extra delay for `login`, standing in for argon2id. */
  loginLatencyMs?: number;
  defaultVaultDir?: string;
  /** Clock, so tests can move time forward. */
  now?: () => number;
}

interface MockUser {
  id: string;
  name: string;
  role: Role;
  passphrase: string;
  disabled: boolean;
  totpEnabled: boolean;
  pendingTotp: string | null;
  failed: number;
  lockedUntil: number | null;
  createdAt: string;
}

interface MockSession {
  id: string;
  userId: string;
  lastActivity: number;
  breakGlassUntil: number | null;
}

/** A file in a fake source folder, with the verdict receiving it should give. */
export interface MockSourceFile {
  path: string;
  size: number;
  verdict: Verdict;
  kind: ContentKind | null;
  /** Items it makes (CSV rows); default 1 for stored files. */
  items?: number;
}

interface MockBatch {
  source: string;
  report: IngestReport;
  startedAt: string;
  receivedBy: string;
}

interface MockItem {
  dto: ItemDto;
}

interface MockDeid {
  itemId: string;
  /** A DICOM item's image (the fake de-identifies DICOM by keeping a synthetic series). */
  image?: ImageInfo;
  original: string;
  spans: DeidSpan[];
  status: DeidStatus;
  revision: number;
  misses: number;
}

interface MockAssignment {
  id: string;
  itemId: string;
  annotatorId: string;
  schemaId: string;
  status: AssignmentStatus;
  value: AnnotationValue | null;
  revision: number;
  wasSubmitted: boolean;
  comment: string | null;
  savedAt: string | null;
}

interface MockPackage {
  id: string;
  direction: 'issued' | 'opened';
  /** The lead's vault the work belongs to. */
  sourceVault: string;
  userId: string;
  status: PackageStatus;
  createdAt: string;
  expiresAt: string;
  assignmentIds: string[];
  resultId: string | null;
}

/** A package or contact card on the fake disk (what the real files would carry). */
type MockFile =
  | { kind: 'card'; userName: string; fingerprint: string; vaultId: string }
  | {
      kind: 'assign';
      packageId: string;
      /** The fingerprint of the issuing lead's card. */
      issuer: string;
      sourceVault: string;
      toVault: string;
      targetUser: string;
      expiresAt: string;
      schemas: SchemaDto[];
      items: MockItem[];
      deid: MockDeid[];
      assignments: MockAssignment[];
    }
  | { kind: 'result'; resultId: string; packageId: string; sourceVault: string; assignments: MockAssignment[] };

interface MockVault {
  summary: VaultSummary;
  /** Annotator account id → the workspace vault id and fingerprint of their contact card. */
  contacts: Map<string, { vaultId: string; fingerprint: string }>;
  /** Workspace: the fingerprint of the lead whose packages alone open here, once trusted. */
  trustedLead: string | null;
  packages: MockPackage[];
  /** Merge event seq → the workspace events that merge brought in. */
  segments: Map<number, AuditSegment>;
  retention: { date: string | null; rule: string | null };
  exports: ExportDto[];
  qualifications: QualificationDto[];
  schemas: SchemaDto[];
  assignments: MockAssignment[];
  gold: Map<string, AnnotationValue>;
  deid: MockDeid[];
  deidSettings: DeidSettings;
  signoffs: Map<string, DeidSignOff>;
  /** Device region templates kept by leads. */
  templates: RegionTemplateDto[];
  batches: MockBatch[];
  items: MockItem[];
  projectName: string;
  createdAt: string;
  recoveryCode: string;
  users: MockUser[];
  events: AuditRow[];
  policy: Policy;
}

export interface MockCall {
  cmd: string;
  args: Record<string, unknown> | undefined;
}

const DEMO_PROJECT = 'Demo: discharge notes (synthetic)';

function fail(code: ErrorCode, message: string): AppError {
  return { code, message };
}

/** A deterministic 64-hex-digit stand-in for SHA-256 (FNV-1a with eight seeds). */
export function fakeHash(input: string): string {
  let out = '';
  for (let seed = 0; seed < 8; seed++) {
    let h = (0x811c9dc5 ^ (seed * 0x9e3779b1)) >>> 0;
    for (let i = 0; i < input.length; i++) {
      h ^= input.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    out += h.toString(16).padStart(8, '0');
  }
  return out;
}

let idCounter = 0;
function newId(prefix: string): string {
  idCounter += 1;
  return `${prefix}_${fakeHash(`${prefix}${idCounter}${Date.now()}`).slice(0, 20)}`;
}

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
function randomBase32(len: number): string {
  const bytes = new Uint8Array(len);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => B32[b % 32]).join('');
}

function hhmm(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

const MIN_PASSPHRASE = 12;
const NAME_RE = /^[A-Za-z0-9._-]{2,32}$/;

export class MockBackend implements IBackend {
  /** The only TOTP code the fake accepts. */
  static readonly TOTP_CODE = '123456';

  static readonly DEMO_USERS: readonly DemoUser[] = [
    { name: 'lena', role: 'lead', passphrase: 'lena-demo-passphrase' },
    { name: 'ari', role: 'annotator', passphrase: 'ari-demo-passphrase' },
    { name: 'rui', role: 'reviewer', passphrase: 'rui-demo-passphrase' },
    { name: 'cora', role: 'compliance', passphrase: 'cora-demo-passphrase' },
  ];

  /** Every command received, in order (tests assert on it). */
  readonly calls: MockCall[] = [];
  /** Vaults "on disk", by path. */
  readonly disk = new Map<string, MockVault>();
  /** Contact cards and work packages written to the fake disk. */
  readonly files = new Map<string, MockFile>();
  vault: MockVault | null = null;
  session: MockSession | null = null;
  /** When set, `audit_verify` reports this break. */
  chainProblem: ChainProblem | null = null;
  /** Fake source folders on the fake disk, by path (what `ingest_*` reads). */
  readonly sources = new Map<string, MockSourceFile[]>();
  /** Receipts written by `export_receipt` (what `verify_receipt` accepts). */
  private readonly receipts = new Set<string>();
  private readonly listeners = new Map<string, Set<(payload: unknown) => void>>();
  private ingestCancelled = false;
  /** When set, the next command with this name rejects with this error (then it is cleared). */
  failNext: { cmd: string; error: AppError } | null = null;

  readonly defaultVaultDir: string;
  private readonly latencyMs: number;
  private readonly loginLatencyMs: number;
  private readonly now: () => number;

  constructor(opts: MockOptions = {}) {
    this.latencyMs = opts.latencyMs ?? 0;
    this.loginLatencyMs = opts.loginLatencyMs ?? 0;
    this.defaultVaultDir = opts.defaultVaultDir ?? '/home/user/Airlock';
    this.now = opts.now ?? (() => Date.now());
  }

  /** A fake with the demo vault already open (not logged in). */
  static withDemo(opts: MockOptions = {}): MockBackend {
    const b = new MockBackend(opts);
    b.seedDemo(`${b.defaultVaultDir}/demo.airlock`);
    return b;
  }

  /** Starts a session for `name` without a passphrase (test helper; not audited). */
  signInAs(name: string): SessionInfo {
    const v = this.requireVault();
    const u = v.users.find((x) => x.name === name);
    if (!u) throw new Error(`no mock user ${name}`);
    this.session = { id: newId('ses'), userId: u.id, lastActivity: this.now(), breakGlassUntil: null };
    return this.sessionInfo();
  }

  /** Makes the current session idle-expired (test helper). */
  expireSession(): void {
    if (this.session && this.vault) {
      this.session.lastActivity = this.now() - this.vault.policy.idle_timeout_minutes * 60_000 - 1000;
    }
  }

  /** Delivers a backend event to the UI's listeners (test helper, also used by the fake). */
  emit(event: string, payload: unknown): void {
    for (const h of this.listeners.get(event) ?? []) h(payload);
  }

  async listen<T>(event: string, handler: (payload: T) => void): Promise<() => void> {
    const set = this.listeners.get(event) ?? new Set();
    const h = handler as (payload: unknown) => void;
    set.add(h);
    this.listeners.set(event, set);
    return () => set.delete(h);
  }

  commandCount(cmd: string): number {
    return this.calls.filter((c) => c.cmd === cmd).length;
  }

  async invoke<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
    this.calls.push({ cmd, args: args ? (JSON.parse(JSON.stringify(args)) as Record<string, unknown>) : undefined });
    const wait = this.latencyMs + (cmd === 'login' ? this.loginLatencyMs : 0);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    else await Promise.resolve();
    if (this.failNext && this.failNext.cmd === cmd) {
      const error = this.failNext.error;
      this.failNext = null;
      throw error;
    }
    return this.dispatch(cmd, args ?? {}) as T;
  }

  // ---------------------------------------------------------------------------------------

  private dispatch(cmd: string, a: Record<string, unknown>): unknown {
    switch (cmd) {
      case 'app_status':
        return this.appStatus();
      case 'create_vault':
        return this.createVault(str(a.path), str(a.projectName), str(a.leadName), str(a.passphrase));
      case 'open_vault':
        return this.openVault(str(a.path));
      case 'close_vault':
        if (this.session) this.logout();
        this.vault = null;
        return null;
      case 'create_demo':
        return this.createDemo(str(a.path));
      case 'login':
        return this.login(str(a.userName), str(a.passphrase), a.totpCode == null ? null : str(a.totpCode));
      case 'logout':
        this.requireSession();
        this.logout();
        return null;
      case 'heartbeat': {
        const s = this.requireSession();
        s.lastActivity = this.now();
        return this.sessionInfo();
      }
      case 'session_status':
        return this.liveSession() ? this.sessionInfo() : null;
      case 'vault_info':
        this.requireSession();
        return this.vaultInfo();
      case 'project_overview':
        this.requireSession();
        return this.overview();
      case 'list_users':
        this.requireRole(['lead', 'compliance'], 'list users');
        return this.requireVault().users.map((u) => this.userDto(u));
      case 'add_user':
        return this.addUser(str(a.name), str(a.role) as Role, str(a.passphrase));
      case 'disable_user':
        return this.disableUser(str(a.name));
      case 'unlock_user':
        return this.unlockUser(str(a.name));
      case 'change_passphrase':
        return this.changePassphrase(str(a.current), str(a.next));
      case 'totp_begin':
        return this.totpBegin();
      case 'totp_confirm':
        return this.totpConfirm(str(a.code));
      case 'totp_disable':
        return this.totpDisable(str(a.code));
      case 'start_break_glass':
        return this.startBreakGlass(str(a.reason), Number(a.minutes));
      case 'audit_query':
        this.requireRole(['lead', 'compliance'], 'view the audit log');
        return this.auditQuery(a.filter as AuditFilter);
      case 'audit_verify':
        return this.auditVerify();
      case 'audit_segment':
        return this.auditSegment(Number(a.mergeSeq));
      case 'ingest_preflight':
        return this.ingestPreflight(a.request as IngestRequest);
      case 'ingest_start':
        return this.ingestStart(a.request as IngestRequest);
      case 'ingest_cancel':
        this.ingestCancelled = true;
        return null;
      case 'list_batches':
        return this.listBatches();
      case 'batch_report':
        return this.batchReport(str(a.batchId));
      case 'decide_batch':
        return this.decideBatch(str(a.batchId), a.decision as BatchDecision, (a.reason as string | null) ?? null);
      case 'export_receipt':
        return this.exportReceipt(str(a.batchId), str(a.path));
      case 'verify_receipt':
        return this.verifyReceipt(str(a.path));
      case 'list_items':
        return this.listItems(a.filter as ItemFilter);
      case 'deid_run':
        return this.deidRun((a.batchId as string | null) ?? null);
      case 'deid_queue':
        return this.deidQueue((a.batchId as string | null) ?? null);
      case 'deid_review':
        return this.deidReview(str(a.itemId), true);
      case 'deid_dicom_review':
        return this.deidDicomReview(str(a.itemId));
      case 'deid_dicom_clean':
        this.requireRole(['lead'], 'validate deid');
        if (this.deidSignedOff(str(a.itemId))) throw fail('conflict', 'This item’s batch is signed off; its de-identification can no longer change.');
        return this.deidDicomReview(str(a.itemId));
      case 'region_templates':
        this.requireRole(['lead'], 'validate deid');
        return [...this.requireVault().templates];
      case 'region_template_save':
        return this.regionTemplateSave(str(a.itemId), a.regions as DicomRegion[]);
      case 'region_template_remove':
        return this.regionTemplateRemove(str(a.id));
      case 'deid_revise':
        return this.deidRevise(str(a.itemId), a.spans as DeidSpanEdit[]);
      case 'deid_validate':
        return this.deidValidate(str(a.itemId));
      case 'deid_batch_state':
        return this.deidBatchState(str(a.batchId));
      case 'deid_sign_off':
        return this.deidSignOff(str(a.batchId));
      case 'deid_settings':
        this.requireRole(['lead'], 'run deid');
        return { ...this.requireVault().deidSettings };
      case 'set_deid_settings': {
        const u = this.requireRole(['lead'], 'change settings');
        this.requireVault().deidSettings = { ...(a.settings as DeidSettings) };
        this.append('deid_settings_changed', 'success', u, null);
        return null;
      }
      case 'schema_create':
        return this.schemaCreate(a.input as SchemaInput);
      case 'schema_publish':
        return this.schemaPublish(str(a.schemaId));
      case 'schema_list':
        this.requireRole(['lead', 'annotator', 'reviewer'], 'view schemas');
        return this.requireVault().schemas.filter((x) => x.status === 'published' || this.currentUser()?.role === 'lead');
      case 'assign_preview':
        return this.planAssign(a.request as AssignRequest, false);
      case 'assign':
        return this.planAssign(a.request as AssignRequest, true);
      case 'progress':
        return this.progressRows();
      case 'my_queue':
        return this.myQueue();
      case 'open_assignment':
        return this.openAssignment(str(a.assignmentId));
      case 'save_annotation':
        return this.saveAnnotation(str(a.assignmentId), a.value as AnnotationValue, (a.reason as string | null) ?? null);
      case 'assignment_frame':
        return this.assignmentFrame(str(a.assignmentId), Number(a.frame));
      case 'review_frame':
        return this.reviewFrame(str(a.itemId), str(a.schemaId), Number(a.frame));
      case 'guideline_page':
        return this.guidelinePage(str(a.schemaId), Number(a.page));
      case 'submit_annotation':
        return this.submitAnnotation(str(a.assignmentId));
      case 'review_queue':
        return this.reviewQueue();
      case 'review_item':
        return this.reviewItem(str(a.itemId), str(a.schemaId));
      case 'review_decide':
        return this.reviewDecide(str(a.itemId), str(a.schemaId), a.decision as ReviewDecision);
      case 'agreement':
        return this.agreementOf(str(a.schemaId));
      case 'export_deliverable':
        return this.exportDeliverable(a.request as ExportRequest);
      case 'add_qualification': {
        const u = this.requireRole(['lead'], 'manage qualifications');
        const q = a.input as QualificationInput;
        this.requireVault().qualifications.push({ user: q.user, kind: q.kind, title: q.title, date: q.date, note: q.note });
        this.append('qualification_recorded', 'success', u, null);
        return null;
      }
      case 'qualifications':
        this.requireRole(['lead'], 'manage qualifications');
        return [...this.requireVault().qualifications];
      case 'retention':
        return this.retentionOf();
      case 'set_retention': {
        const u = this.requireRole(['lead', 'compliance'], 'set retention');
        if (!/^\d{4}-\d{2}-\d{2}$/.test(str(a.date))) throw fail('invalid_input', 'Dates must be written YYYY-MM-DD.');
        this.requireVault().retention = { date: str(a.date), rule: (a.rule as string | null) ?? null };
        this.append('retention_set', 'success', u, null);
        return null;
      }
      case 'destroy_vault':
        return this.destroyVault(a.request as DestroyRequest, str(a.passphrase));
      case 'verify_certificate':
        return this.verifyCertificate(str(a.path));
      case 'audit_export':
        return this.auditExport(str(a.format), str(a.path));
      case 'create_workspace_vault':
        return this.createWorkspaceVault(str(a.path), str(a.userName), str(a.passphrase));
      case 'contact_export':
        return this.contactExport(str(a.out));
      case 'contact_import':
        return this.contactImport((a.user as string | null) ?? null, str(a.path));
      case 'package_trust_lead':
        return this.packageTrustLead(str(a.path));
      case 'package_assign':
        return this.packageAssign(str(a.to), str(a.out), Number(a.days));
      case 'package_open':
        return this.packageOpen(str(a.path));
      case 'package_return':
        return this.packageReturn(str(a.out));
      case 'package_merge':
        return this.packageMerge(str(a.path));
      case 'package_revoke':
        return this.packageRevoke(str(a.id), str(a.reason));
      case 'package_list': {
        const u = this.requireRole(['lead', 'annotator'], 'view packages');
        const v = this.requireVault();
        return v.packages.filter((p) => u.role === 'lead' || p.userId === u.id).map((p) => this.packageDto(p));
      }
      default:
        throw fail('internal', 'Unexpected error.');
    }
  }

  private appStatus(): AppStatus {
    return {
      vault: this.vault ? { ...this.vault.summary } : null,
      session: this.liveSession() ? this.sessionInfo() : null,
      default_vault_dir: this.defaultVaultDir,
    };
  }

  private newVault(path: string, projectName: string): MockVault {
    return {
      summary: { path, vault_id: newId('vlt'), format_version: 1 },
      projectName,
      createdAt: new Date(this.now()).toISOString(),
      recoveryCode: Array.from({ length: 6 }, () => randomBase32(4)).join('-'),
      users: [],
      events: [],
      batches: [],
      items: [],
      deid: [],
      templates: [],
      retention: { date: null, rule: null },
      contacts: new Map(),
      trustedLead: null,
      packages: [],
      segments: new Map(),
      exports: [],
      qualifications: [],
      schemas: [],
      assignments: [],
      gold: new Map(),
      deidSettings: { policy: 'safe_harbor', sample_percent: 100 },
      signoffs: new Map(),
      policy: { max_failed_logins: 5, lockout_minutes: 15, idle_timeout_minutes: 15 },
    };
  }

  private createVault(path: string, projectName: string, leadName: string, passphrase: string): CreatedVault {
    if (!path.trim()) throw fail('invalid_input', 'Choose where to save the vault.');
    if (!projectName.trim()) throw fail('invalid_input', 'Give the project a name.');
    if (!NAME_RE.test(leadName)) {
      throw fail('invalid_input', 'User names are 2–32 letters, digits, dots, dashes or underscores.');
    }
    if (passphrase.length < MIN_PASSPHRASE) {
      throw fail('invalid_input', `Passphrases need at least ${MIN_PASSPHRASE} characters.`);
    }
    if (this.disk.has(path)) throw fail('conflict', 'Something already exists at this path. Choose another.');
    if (this.session) this.logout();
    const v = this.newVault(path, projectName.trim());
    const lead = this.makeUser(leadName, 'lead', passphrase);
    v.users.push(lead);
    this.disk.set(path, v);
    this.vault = v;
    this.append('vault_created', 'success', lead, { kind: 'vault', id: v.summary.vault_id, name: v.projectName });
    return { vault: { ...v.summary }, recovery_code: v.recoveryCode };
  }

  private openVault(path: string): VaultSummary {
    const v = this.disk.get(path);
    if (!v) throw fail('not_found', 'No Airlock vault was found at this path.');
    if (this.session) this.logout();
    this.vault = v;
    return { ...v.summary };
  }

  private createDemo(path: string): DemoInfo {
    if (!path.trim()) throw fail('invalid_input', 'Choose where to save the demo vault.');
    if (this.disk.has(path)) throw fail('conflict', 'Something already exists at this path. Choose another.');
    if (this.session) this.logout();
    this.seedDemo(path);
    return { vault: { ...this.requireVault().summary }, users: MockBackend.DEMO_USERS.map((u) => ({ ...u })) };
  }

  /** A fake delivery on the fake disk: four notes with a manifest, one of them changed in transit. */
  static readonly DEMO_SOURCE = '/home/user/incoming/site-a';
  static readonly DEMO_SOURCE_FILES: readonly MockSourceFile[] = [
    { path: 'notes/note-001.txt', size: 1840, verdict: 'verified', kind: 'text' },
    { path: 'notes/note-002.txt', size: 2210, verdict: 'verified', kind: 'text' },
    { path: 'notes/note-003.txt', size: 1975, verdict: 'mismatched', kind: 'text' },
    { path: 'notes/batch.csv', size: 5120, verdict: 'verified', kind: 'csv', items: 12 },
    { path: 'images/ct-0001.dcm', size: 525_312, verdict: 'verified', kind: 'dicom' },
    { path: 'notes/note-004.txt', size: 0, verdict: 'missing', kind: null },
  ];

  /** Creates and opens the demo vault with four users and a few hundred audit events. */
  seedDemo(path: string): void {
    this.sources.set(MockBackend.DEMO_SOURCE, [...MockBackend.DEMO_SOURCE_FILES]);
    const v = this.newVault(path, DEMO_PROJECT);
    this.disk.set(path, v);
    this.vault = v;
    for (const d of MockBackend.DEMO_USERS) v.users.push(this.makeUser(d.name, d.role, d.passphrase));
    const [lead, ann, rev, comp] = v.users as [MockUser, MockUser, MockUser, MockUser];
    const start = this.now() - 3 * 86_400_000;
    const at = (i: number) => start + i * 15 * 60_000;
    let i = 0;
    this.append('vault_created', 'success', lead, { kind: 'vault', id: v.summary.vault_id, name: v.projectName }, at(i++));
    this.append('demo_seeded', 'success', lead, { kind: 'vault', id: v.summary.vault_id, name: v.projectName }, at(i++));
    for (const u of [ann, rev, comp]) {
      this.append('user_added', 'success', lead, { kind: 'user', id: u.id, name: u.name }, at(i++), `{"role":"${u.role}"}`);
    }
    const cycle: [MockUser, EventKind, Outcome][] = [
      [ann, 'login', 'success'],
      [ann, 'logout', 'success'],
      [rev, 'login', 'success'],
      [rev, 'access_denied', 'denied'],
      [rev, 'logout', 'success'],
      [comp, 'login', 'success'],
      [comp, 'audit_viewed', 'success'],
      [comp, 'logout', 'success'],
      [ann, 'login_failed', 'failure'],
      [lead, 'login', 'success'],
      [lead, 'logout', 'success'],
    ];
    for (let n = 0; n < 22; n++) {
      for (const [u, kind, outcome] of cycle) {
        const obj = kind === 'login_failed' ? { kind: 'user', id: u.id, name: u.name } : null;
        this.append(kind, outcome, kind === 'login_failed' ? null : u, obj, at(i++));
      }
    }
  }

  private makeUser(name: string, role: Role, passphrase: string): MockUser {
    return {
      id: newId('usr'),
      name,
      role,
      passphrase,
      disabled: false,
      totpEnabled: false,
      pendingTotp: null,
      failed: 0,
      lockedUntil: null,
      createdAt: new Date(this.now()).toISOString(),
    };
  }

  private login(userName: string, passphrase: string, totpCode: string | null): SessionInfo {
    const v = this.vault;
    if (!v) throw fail('vault_error', 'No vault is open.');
    const bad = fail('bad_credentials', 'User name or passphrase not recognised.');
    const u = v.users.find((x) => x.name === userName);
    if (!u) {
      this.append('login_failed', 'failure', null, { kind: 'user', id: null, name: userName });
      throw bad;
    }
    if (u.lockedUntil !== null && u.lockedUntil > this.now()) {
      this.append('login_refused', 'denied', null, { kind: 'user', id: u.id, name: u.name });
      throw fail(
        'account_locked',
        `This account is locked until ${hhmm(u.lockedUntil)} after repeated failed attempts. A lead can unlock it sooner.`,
      );
    }
    if (u.disabled) {
      this.append('login_refused', 'denied', null, { kind: 'user', id: u.id, name: u.name });
      throw bad;
    }
    if (u.passphrase !== passphrase) {
      u.failed += 1;
      this.append('login_failed', 'failure', null, { kind: 'user', id: u.id, name: u.name });
      if (u.failed >= v.policy.max_failed_logins) {
        u.lockedUntil = this.now() + v.policy.lockout_minutes * 60_000;
        u.failed = 0;
        this.append('account_locked', 'success', null, { kind: 'user', id: u.id, name: u.name });
      }
      throw bad;
    }
    if (u.totpEnabled) {
      if (totpCode === null || totpCode === '') {
        throw fail('totp_required', 'Enter the 6-digit code from your authenticator app.');
      }
      if (totpCode !== MockBackend.TOTP_CODE) {
        this.append('login_failed', 'failure', null, { kind: 'user', id: u.id, name: u.name });
        throw fail('bad_credentials', 'That code was not accepted. Check the time on your device and try again.');
      }
    }
    u.failed = 0;
    this.session = { id: newId('ses'), userId: u.id, lastActivity: this.now(), breakGlassUntil: null };
    this.append('login', 'success', u, null);
    return this.sessionInfo();
  }

  private logout(): void {
    const u = this.currentUser();
    if (u) this.append('logout', 'success', u, null);
    this.session = null;
  }

  private liveSession(): MockSession | null {
    const s = this.session;
    const v = this.vault;
    if (!s || !v) return null;
    if (this.now() - s.lastActivity > v.policy.idle_timeout_minutes * 60_000) {
      this.session = null;
      return null;
    }
    return s;
  }

  private requireVault(): MockVault {
    if (!this.vault) throw fail('vault_error', 'No vault is open.');
    return this.vault;
  }

  private requireSession(): MockSession {
    const had = this.session !== null;
    const s = this.liveSession();
    if (!s) {
      throw had
        ? fail('session_expired', 'Your session was locked after a period of inactivity.')
        : fail('not_logged_in', 'Log in first.');
    }
    return s;
  }

  private currentUser(): MockUser | null {
    const s = this.session;
    return s && this.vault ? (this.vault.users.find((u) => u.id === s.userId) ?? null) : null;
  }

  private requireUser(): MockUser {
    this.requireSession();
    const u = this.currentUser();
    if (!u) throw fail('not_logged_in', 'Log in first.');
    return u;
  }

  private requireRole(roles: Role[], what: string): MockUser {
    const u = this.requireUser();
    if (!roles.includes(u.role)) {
      this.append('access_denied', 'denied', u, null, undefined, JSON.stringify({ action: what }));
      throw fail('forbidden', `Your role (${u.role}) is not allowed to ${what}.`);
    }
    return u;
  }

  private sessionInfo(): SessionInfo {
    const s = this.session;
    const v = this.vault;
    const u = this.currentUser();
    if (!s || !v || !u) throw fail('not_logged_in', 'Log in first.');
    const timeout = v.policy.idle_timeout_minutes * 60;
    const left = Math.max(0, Math.round((s.lastActivity + timeout * 1000 - this.now()) / 1000));
    const bg = s.breakGlassUntil !== null && s.breakGlassUntil > this.now() ? s.breakGlassUntil : null;
    return {
      session_id: s.id,
      user_id: u.id,
      user_name: u.name,
      role: u.role,
      project_name: v.projectName,
      idle_timeout_secs: timeout,
      idle_remaining_secs: left,
      break_glass_until: bg === null ? null : new Date(bg).toISOString(),
      totp_enabled: u.totpEnabled,
    };
  }

  private vaultInfo(): VaultInfo {
    const v = this.requireVault();
    return {
      vault_id: v.summary.vault_id,
      project_name: v.projectName,
      path: v.summary.path,
      format_version: v.summary.format_version,
      created_at: v.createdAt,
      kdf: { memory_kib: 65_536, iterations: 3, parallelism: 1 },
      users: v.users.length,
      key_slots: v.users.filter((u) => !u.disabled).length,
      recovery_slot: true,
      audit_events: v.events.length,
      policy: { ...v.policy },
    };
  }

  private userDto(u: MockUser): UserDto {
    const locked = u.lockedUntil !== null && u.lockedUntil > this.now();
    return {
      id: u.id,
      name: u.name,
      role: u.role,
      status: u.disabled ? 'disabled' : locked ? 'locked' : 'active',
      totp_enabled: u.totpEnabled,
      created_at: u.createdAt,
      locked_until: locked && u.lockedUntil !== null ? new Date(u.lockedUntil).toISOString() : null,
    };
  }

  private addUser(name: string, role: Role, passphrase: string): UserDto {
    const lead = this.requireRole(['lead'], 'add users');
    const v = this.requireVault();
    if (!NAME_RE.test(name)) {
      throw fail('invalid_input', 'User names are 2–32 letters, digits, dots, dashes or underscores.');
    }
    if (!['lead', 'annotator', 'reviewer', 'compliance'].includes(role)) {
      throw fail('invalid_input', 'Choose a role.');
    }
    if (passphrase.length < MIN_PASSPHRASE) {
      throw fail('invalid_input', `Passphrases need at least ${MIN_PASSPHRASE} characters.`);
    }
    if (v.users.some((u) => u.name === name)) throw fail('conflict', 'A user with this name already exists.');
    const u = this.makeUser(name, role, passphrase);
    v.users.push(u);
    this.append('user_added', 'success', lead, { kind: 'user', id: u.id, name: u.name }, undefined, JSON.stringify({ role }));
    return this.userDto(u);
  }

  private findUser(name: string): MockUser {
    const u = this.requireVault().users.find((x) => x.name === name);
    if (!u) throw fail('not_found', 'No user with this name.');
    return u;
  }

  private disableUser(name: string): null {
    const lead = this.requireRole(['lead'], 'disable users');
    const u = this.findUser(name);
    if (u.id === lead.id) throw fail('conflict', 'You cannot disable your own account.');
    if (u.disabled) throw fail('conflict', 'This user is already disabled.');
    u.disabled = true;
    this.append('user_disabled', 'success', lead, { kind: 'user', id: u.id, name: u.name });
    return null;
  }

  private unlockUser(name: string): null {
    const lead = this.requireRole(['lead'], 'unlock users');
    const u = this.findUser(name);
    u.lockedUntil = null;
    u.failed = 0;
    this.append('account_unlocked', 'success', lead, { kind: 'user', id: u.id, name: u.name });
    return null;
  }

  private changePassphrase(current: string, next: string): null {
    const u = this.requireUser();
    if (u.passphrase !== current) {
      this.append('passphrase_changed', 'failure', u, { kind: 'user', id: u.id, name: u.name });
      throw fail('bad_credentials', 'The current passphrase was not recognised.');
    }
    if (next.length < MIN_PASSPHRASE) {
      throw fail('invalid_input', `Passphrases need at least ${MIN_PASSPHRASE} characters.`);
    }
    u.passphrase = next;
    this.append('passphrase_changed', 'success', u, { kind: 'user', id: u.id, name: u.name });
    return null;
  }

  private totpBegin(): TotpSetup {
    const u = this.requireUser();
    if (u.totpEnabled) throw fail('conflict', 'Two-step verification is already on.');
    u.pendingTotp = randomBase32(32);
    const label = encodeURIComponent(`Airlock:${u.name}`);
    return {
      secret_base32: u.pendingTotp,
      otpauth_uri: `otpauth://totp/${label}?secret=${u.pendingTotp}&issuer=Airlock&algorithm=SHA1&digits=6&period=30`,
    };
  }

  private totpConfirm(code: string): null {
    const u = this.requireUser();
    if (!u.pendingTotp) throw fail('conflict', 'Start two-step setup first.');
    if (code !== MockBackend.TOTP_CODE) {
      throw fail('invalid_input', 'That code did not match. Check the time on your device and try again.');
    }
    u.totpEnabled = true;
    u.pendingTotp = null;
    this.append('totp_enabled', 'success', u, { kind: 'user', id: u.id, name: u.name });
    return null;
  }

  private totpDisable(code: string): null {
    const u = this.requireUser();
    if (!u.totpEnabled) throw fail('conflict', 'Two-step verification is not on.');
    if (code !== MockBackend.TOTP_CODE) {
      throw fail('invalid_input', 'That code did not match. Check the time on your device and try again.');
    }
    u.totpEnabled = false;
    this.append('totp_disabled', 'success', u, { kind: 'user', id: u.id, name: u.name });
    return null;
  }

  private startBreakGlass(reason: string, minutes: number): SessionInfo {
    const u = this.requireRole(['reviewer', 'compliance'], 'start emergency access');
    if (!reason.trim()) throw fail('invalid_input', 'Give a reason for emergency access.');
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > 240) {
      throw fail('invalid_input', 'Emergency access lasts 1 to 240 minutes.');
    }
    const s = this.requireSession();
    s.breakGlassUntil = this.now() + minutes * 60_000;
    this.append('break_glass_started', 'success', u, null, undefined, JSON.stringify({ reason, minutes }));
    return this.sessionInfo();
  }

  private filtered(f: AuditFilter): AuditRow[] {
    const actor = f.actor?.trim().toLowerCase() ?? '';
    return this.requireVault()
      .events.filter((e) => {
        if (actor && !(e.actor_name ?? '').toLowerCase().includes(actor)) return false;
        if (f.action && e.action !== f.action) return false;
        const day = e.ts.slice(0, 10);
        if (f.from && day < f.from) return false;
        if (f.to && day > f.to) return false;
        if (f.failures_only && e.outcome === 'success') return false;
        if (f.break_glass_only && !e.break_glass) return false;
        return true;
      })
      .sort((a, b) => b.seq - a.seq);
  }

  private auditQuery(f: AuditFilter): AuditPage {
    if (f.from && f.to && f.from > f.to) throw fail('invalid_input', 'The start date is after the end date.');
    const rows = this.filtered(f);
    return { rows: rows.slice(f.offset, f.offset + f.limit).map((r) => ({ ...r })), total: rows.length };
  }

  private auditVerify(): VerifyReport {
    const u = this.requireRole(['lead', 'compliance'], 'verify the audit log');
    const v = this.requireVault();
    const head = v.events[v.events.length - 1];
    const report: VerifyReport = {
      ok: this.chainProblem === null,
      events: v.events.length,
      head_hash: head ? head.hash : '0'.repeat(64),
      checkpoints: Math.floor(v.events.length / 100),
      signers: v.users.filter((x) => x.role === 'lead' || x.role === 'compliance').map((x) => x.name),
      segments: new Set([...v.segments.values()].map((s) => s.workspace_vault)).size,
      segment_events: [...v.segments.values()].reduce((n, s) => n + s.rows.length, 0),
      problem: this.chainProblem ? { ...this.chainProblem } : null,
    };
    this.append('audit_verified', report.ok ? 'success' : 'failure', u, null);
    return report;
  }

  private auditSegment(mergeSeq: number): AuditSegment {
    this.requireRole(['lead', 'compliance'], 'view the audit log');
    const seg = this.requireVault().segments.get(mergeSeq);
    if (!seg) throw fail('not_found', `Event #${mergeSeq} is not a package merge.`);
    return structuredClone(seg);
  }

  private auditExport(format: string, path: string): ExportResult {
    const u = this.requireRole(['lead', 'compliance'], 'export the audit log');
    if (format !== 'csv' && format !== 'jsonl') throw fail('invalid_input', 'Export as CSV or JSONL.');
    if (!path.trim()) throw fail('invalid_input', 'Choose where to save the export.');
    const events = this.requireVault().events.length;
    this.append('audit_exported', 'success', u, null, undefined, JSON.stringify({ format, events }));
    return { path, events };
  }

  // ---- receiving data ----

  private source(req: IngestRequest): MockSourceFile[] {
    const files = this.sources.get(req.source.trim());
    if (!files) throw fail('not_found', 'The source is not a folder that can be read.');
    return files;
  }

  private ingestPreflight(req: IngestRequest): IngestPreflight {
    this.requireRole(['lead'], 'ingest');
    const files = this.source(req);
    const read = files.filter((f) => f.verdict !== 'missing' && f.verdict !== 'unreadable');
    const ext = new Map<string, number>();
    for (const f of read) {
      const e = f.path.includes('.') ? (f.path.split('.').pop() ?? '').toLowerCase() : '';
      ext.set(e, (ext.get(e) ?? 0) + 1);
    }
    const withManifest = files.some((f) => f.verdict !== 'baseline');
    return {
      mode: withManifest ? 'manifest' : 'folder',
      files: read.length,
      bytes: read.reduce((n, f) => n + f.size, 0),
      listed: withManifest ? read.filter((f) => f.verdict !== 'extra').length : 0,
      extra: files.filter((f) => f.verdict === 'extra').length,
      missing: files.filter((f) => f.verdict === 'missing').length,
      unreadable: files.filter((f) => f.verdict === 'unreadable').length,
      algorithms: withManifest ? ['sha256'] : [],
      extensions: [...ext.entries()]
        .map(([extension, n]) => ({ extension, files: n }))
        .sort((a, b) => b.files - a.files),
      bag_problems: [],
      warnings: withManifest ? ['used the manifest found in the folder (SHA256SUMS)'] : [],
    };
  }

  private ingestStart(req: IngestRequest): IngestReport {
    const u = this.requireRole(['lead'], 'ingest');
    const v = this.requireVault();
    const files = this.source(req);
    const pre = this.ingestPreflight(req);
    const previous = v.batches.find((b) => b.source === req.source.trim() && b.report.status !== 'aborted');
    if (previous) {
      this.append('ingest_repeated', 'success', u, { kind: 'batch', id: previous.report.batch_id, name: null });
      return { ...previous.report, already_received: true, files_read: 0, bytes_read: 0 };
    }
    const batchId = newId('batch');
    this.append('ingest_started', 'success', u, { kind: 'batch', id: batchId, name: null });
    const total = pre.bytes;
    const progress = (done: number, bytes: number): IngestProgress => ({
      files_done: done,
      files_total: pre.files,
      bytes_done: bytes,
      bytes_total: total,
      elapsed_ms: 0,
    });
    this.emit('ingest-progress', progress(0, 0));
    const half = Math.floor(pre.files / 2);
    this.emit('ingest-progress', progress(half, Math.floor(total / 2)));
    if (this.ingestCancelled) {
      this.ingestCancelled = false;
      this.append('ingest_interrupted', 'failure', u, { kind: 'batch', id: batchId, name: null });
      return this.report(batchId, 'receiving', files.slice(0, half), true);
    }
    this.emit('ingest-progress', progress(pre.files, total));
    const ok = files.every((f) => f.verdict === 'verified' || f.verdict === 'baseline');
    const status: BatchStatus = ok ? 'received' : 'needs_decision';
    const report = this.report(batchId, status, files, false);
    v.batches.unshift({ source: req.source.trim(), report, startedAt: new Date(this.now()).toISOString(), receivedBy: u.name });
    for (const f of files) {
      if (f.verdict === 'missing' || f.verdict === 'unreadable') continue;
      const good = f.verdict === 'verified' || f.verdict === 'baseline';
      const n = good ? (f.items ?? 1) : 1;
      for (let i = 1; i <= n; i++) {
        v.items.push({
          dto: {
            id: newId('item'),
            number: v.items.length + 1,
            batch_id: batchId,
            kind: f.kind === 'csv' || f.kind === 'jsonl' ? 'text' : (f.kind ?? 'unsupported'),
            size: Math.max(1, Math.floor(f.size / n)),
            status: good ? (ok ? 'received' : 'held') : 'quarantined',
            source_name: n > 1 ? `${f.path} #row ${i}` : f.path,
          },
        });
      }
    }
    this.append('ingest_completed', 'success', u, { kind: 'batch', id: batchId, name: null }, undefined, JSON.stringify({ all_verified: ok }));
    return report;
  }

  private report(batchId: string, status: BatchStatus, files: MockSourceFile[], cancelled: boolean): IngestReport {
    const sorted = [...files].sort((a, b) => a.path.localeCompare(b.path));
    const out: ReportFile[] = sorted.map((f) => {
      const stored = f.verdict !== 'missing' && f.verdict !== 'unreadable';
      const actual = stored ? fakeHash(`content:${f.path}`) : null;
      return {
        path: f.path,
        verdict: f.verdict,
        size: stored ? f.size : 0,
        kind: stored ? f.kind : null,
        sha256: actual,
        expected:
          f.verdict === 'extra' || f.verdict === 'baseline' || f.verdict === 'unreadable'
            ? null
            : { algorithm: 'sha256', hex: f.verdict === 'mismatched' ? fakeHash(`manifest:${f.path}`) : (actual ?? fakeHash(`manifest:${f.path}`)) },
        items: stored ? (f.verdict === 'verified' || f.verdict === 'baseline' ? (f.items ?? 1) : 1) : 0,
        note:
          f.verdict === 'mismatched'
            ? 'its sha256 does not match the manifest'
            : f.verdict === 'missing'
              ? 'listed in the manifest but not present'
              : f.verdict === 'unreadable'
                ? 'it is a symbolic link, which is never followed'
                : f.verdict === 'empty'
                  ? 'the file is empty'
                  : null,
      };
    });
    const totals: VerdictCount[] = VERDICTS.map((verdict) => ({
      verdict,
      files: out.filter((f) => f.verdict === verdict).length,
      bytes: out.filter((f) => f.verdict === verdict).reduce((n, f) => n + f.size, 0),
    })).filter((t) => t.files > 0);
    return {
      batch_id: batchId,
      status,
      mode: files.some((f) => f.verdict !== 'baseline') ? 'manifest' : 'folder',
      all_verified: !cancelled && out.every((f) => f.verdict === 'verified' || f.verdict === 'baseline'),
      cancelled,
      already_received: false,
      totals,
      files: out,
      bag_problems: [],
      warnings: [],
      receipt_sha256: cancelled ? null : fakeHash(`receipt:${batchId}`),
      items: out.reduce((n, f) => n + f.items, 0),
      files_read: out.filter((f) => f.sha256 !== null).length,
      bytes_read: out.reduce((n, f) => n + f.size, 0),
      elapsed_ms: 1200,
    };
  }

  private findBatch(id: string): MockBatch {
    const b = this.requireVault().batches.find((x) => x.report.batch_id === id);
    if (!b) throw fail('not_found', 'No batch has this id.');
    return b;
  }

  private listBatches(): BatchDto[] {
    this.requireRole(['lead'], 'view source items');
    return this.requireVault().batches.map((b) => ({
      id: b.report.batch_id,
      mode: b.report.mode,
      status: b.report.status,
      received_by: b.receivedBy,
      started_at: b.startedAt,
      finished_at: b.startedAt,
      totals: b.report.totals,
      receipt_sha256: b.report.receipt_sha256,
    }));
  }

  private batchReport(id: string): IngestReport {
    const u = this.requireRole(['lead'], 'view source items');
    const b = this.findBatch(id);
    this.append('source_items_viewed', 'success', u, { kind: 'batch', id, name: null });
    return { ...b.report, already_received: false };
  }

  private decideBatch(id: string, decision: BatchDecision, reason: string | null): BatchStatus {
    const u = this.requireRole(['lead'], 'decide batch');
    const b = this.findBatch(id);
    if (decision === 'abort' && !reason?.trim()) throw fail('invalid_input', 'Say why the batch is aborted.');
    if (b.report.status !== 'needs_decision') {
      throw fail('conflict', `This batch is ${b.report.status.replace('_', ' ')} and cannot be changed that way.`);
    }
    const next: BatchStatus = decision === 'abort' ? 'aborted' : 'released';
    b.report = { ...b.report, status: next };
    for (const it of this.requireVault().items) {
      if (it.dto.batch_id !== id) continue;
      if (decision === 'abort') it.dto = { ...it.dto, status: 'discarded' };
      else if (it.dto.status === 'held') it.dto = { ...it.dto, status: 'received' };
    }
    this.append(decision === 'abort' ? 'batch_aborted' : 'batch_released', 'success', u, { kind: 'batch', id, name: null });
    return next;
  }

  private exportReceipt(id: string, path: string): ReceiptExport {
    const u = this.requireRole(['lead'], 'export receipt');
    const b = this.findBatch(id);
    if (!path.trim()) throw fail('invalid_input', 'Choose where to save the receipt.');
    this.receipts.add(path);
    this.append('receipt_exported', 'success', u, { kind: 'batch', id, name: null });
    return { json_path: path, text_path: `${path}.txt`, receipt_sha256: b.report.receipt_sha256 ?? '' };
  }

  private verifyReceipt(path: string): ReceiptCheck {
    if (!this.receipts.has(path)) {
      return { ok: false, message: 'This is not an Airlock receipt.', receipt_id: null, vault_id: null, received_by: null, all_verified: null, files: 0 };
    }
    return { ok: true, message: 'The receipt is intact and signed by lena.', receipt_id: null, vault_id: null, received_by: 'lena', all_verified: true, files: 1 };
  }

  private listItems(f: ItemFilter): ItemPage {
    const u = this.requireRole(['lead'], 'view source items');
    const rows = this.requireVault()
      .items.map((i) => i.dto)
      .filter((i) => (!f.batch_id || i.batch_id === f.batch_id) && (!f.status || i.status === f.status));
    this.append('source_items_viewed', 'success', u, { kind: 'items', id: null, name: null });
    return { rows: rows.slice(f.offset, f.offset + Math.min(f.limit || 100, 1000)), total: rows.length };
  }

  // ---- de-identification (a stand-in: fixed synthetic originals, regex "detection") ----

  static readonly MOCK_CATEGORIES = ['name', 'location', 'zip', 'date', 'age', 'phone', 'email', 'mrn'];

  private static detect(text: string): DeidSpanEdit[] {
    const out: DeidSpanEdit[] = [];
    const add = (re: RegExp, category: string, group = 0) => {
      for (const m of text.matchAll(re)) {
        const hit = m[group] ?? '';
        const start = (m.index ?? 0) + (group ? m[0].indexOf(hit) : 0);
        out.push({ start, end: start + hit.length, category });
      }
    };
    add(/Patient: ([A-Z][a-z]+ [A-Z][a-z]+)/g, 'name', 1);
    add(/Dr\. ([A-Z][a-z]+)/g, 'name', 1);
    add(/\d{2}\/\d{2}\/\d{4}/g, 'date');
    add(/MRN \d+/g, 'mrn');
    return out.sort((a, b) => a.start - b.start);
  }

  private static apply(text: string, edits: DeidSpanEdit[], detected: DeidSpanEdit[]): { out: string; spans: DeidSpan[] } {
    let out = '';
    let pos = 0;
    const spans: DeidSpan[] = [];
    for (const e of [...edits].sort((a, b) => a.start - b.start)) {
      out += text.slice(pos, e.start);
      const original = text.slice(e.start, e.end);
      const repl = e.category === 'date' ? `[DATE ${original.slice(-4)}]` : `[${e.category.toUpperCase()}]`;
      const known = detected.some((d) => d.start === e.start && d.end === e.end && d.category === e.category);
      spans.push({
        start: e.start,
        end: e.end,
        out_start: out.length,
        out_end: out.length + repl.length,
        category: e.category,
        action: e.category === 'date' ? 'generalize' : 'redact',
        rule: known ? `mock.${e.category}` : 'manual',
        confidence: known ? 0.95 : 1,
      });
      out += repl;
      pos = e.end;
    }
    return { out: out + text.slice(pos), spans };
  }

  private deidRun(batchId: string | null): DeidRunReport {
    const u = this.requireRole(['lead'], 'run deid');
    const v = this.requireVault();
    let items = 0;
    let findings = 0;
    for (const it of v.items) {
      const d = it.dto;
      if ((batchId && d.batch_id !== batchId) || d.status !== 'received' || (d.kind !== 'text' && d.kind !== 'dicom')) continue;
      if (v.deid.some((x) => x.itemId === d.id)) continue;
      if (d.kind === 'dicom') {
        v.deid.push({ itemId: d.id, image: MockBackend.MOCK_IMAGE, original: '', spans: [], status: 'proposed', revision: 1, misses: 0 });
        items += 1;
        continue;
      }
      const original = `Patient: Jane Roe seen on 03/14/2025 by Dr. Ames, MRN 00${d.number}.\nLives in Harrowgate.\n`;
      const spans = MockBackend.apply(original, MockBackend.detect(original), MockBackend.detect(original)).spans;
      v.deid.push({ itemId: d.id, original, spans, status: 'proposed', revision: 1, misses: 0 });
      items += 1;
      findings += spans.length;
    }
    this.append('deid_run', 'success', u, { kind: 'deid', id: batchId, name: null }, undefined, JSON.stringify({ items, findings }));
    return { items, failed: 0, findings, categories: [], elapsed_ms: 5 };
  }

  private deidSample(batchId: string): string[] {
    const v = this.requireVault();
    const ids = v.deid.filter((d) => v.items.find((i) => i.dto.id === d.itemId)?.dto.batch_id === batchId).map((d) => d.itemId);
    const want = Math.max(Math.ceil((ids.length * v.deidSettings.sample_percent) / 100), Math.min(10, ids.length));
    return [...ids].sort((a, b) => fakeHash(a).localeCompare(fakeHash(b))).slice(0, want);
  }

  private deidQueue(batchId: string | null): DeidQueueRow[] {
    const u = this.requireRole(['lead'], 'validate deid');
    const v = this.requireVault();
    const rows: DeidQueueRow[] = [];
    for (const d of v.deid) {
      const item = v.items.find((i) => i.dto.id === d.itemId)!.dto;
      if (batchId && item.batch_id !== batchId) continue;
      rows.push({
        item_id: d.itemId,
        number: item.number,
        batch_id: item.batch_id,
        source_name: item.source_name,
        status: d.status,
        findings: d.spans.length,
        revision: d.revision,
        in_sample: this.deidSample(item.batch_id).includes(d.itemId),
        kind: d.image ? 'dicom' : 'text',
      });
    }
    this.append('source_items_viewed', 'success', u, { kind: 'deid_queue', id: null, name: null });
    return rows;
  }

  private findDeid(itemId: string): MockDeid {
    const d = this.requireVault().deid.find((x) => x.itemId === itemId);
    if (!d) throw fail('not_found', 'This item has not been de-identified yet.');
    return d;
  }

  private deidReview(itemId: string, audit: boolean): DeidReview {
    const u = this.requireRole(['lead'], 'validate deid');
    const v = this.requireVault();
    const d = this.findDeid(itemId);
    const item = v.items.find((i) => i.dto.id === itemId)!.dto;
    const edits = d.spans.map((s) => ({ start: s.start, end: s.end, category: s.category }));
    const { out } = MockBackend.apply(d.original, edits, MockBackend.detect(d.original));
    if (audit) this.append('original_viewed', 'success', u, { kind: 'item', id: itemId, name: null });
    return {
      item_id: itemId,
      number: item.number,
      source_name: item.source_name,
      original: d.original,
      deidentified: out,
      spans: d.spans,
      status: d.status,
      revision: d.revision,
      misses: d.misses,
      categories: MockBackend.MOCK_CATEGORIES,
    };
  }

  /** A DICOM item's validation view: the fake keeps no header or pixels, only the outcome. */
  private deidDicomReview(itemId: string): DicomReview {
    const u = this.requireRole(['lead'], 'validate deid');
    const v = this.requireVault();
    const d = v.deid.find((x) => x.itemId === itemId && x.image);
    if (!d?.image) throw fail('not_found', 'No DICOM item has this id.');
    const item = v.items.find((i) => i.dto.id === itemId)!.dto;
    this.append('original_viewed', 'success', u, { kind: 'item', id: itemId, name: null });
    return {
      item_id: itemId,
      number: item.number,
      source_name: item.source_name,
      method: 'ps315_dicom',
      status: d.status,
      revision: d.revision,
      misses: d.misses,
      columns: d.image.width,
      rows: d.image.height,
      frame_columns: d.image.width,
      frame_rows: d.image.height,
      frame_channels: 1,
      frames: d.image.frames,
      original_frame: null,
      result_frame: null,
      proposed: [],
      hand_regions: [],
      risk: [],
      pixels_cleaned: false,
      pixel_regions: 0,
      residual_words: null,
      needs_pixel_review: false,
      ocr_available: false,
      device: MockBackend.MOCK_DEVICE,
      device_template:
        v.templates.find((t) => t.columns === d.image!.width && t.rows === d.image!.height) ?? null,
      template_applied: false,
      method_codes: ['113100'],
      profile_edition: '2026c',
      header: [
        { path: '(0010,0010)', tag: '(0010,0010)', keyword: 'PatientName', vr: 'PN', original: 'ROE^JANE', result: 'PSEUDO-0001', treatment: 'replaced', code: 'Z' },
        { path: '(0008,0060)', tag: '(0008,0060)', keyword: 'Modality', vr: 'CS', original: 'CT', result: 'CT', treatment: null, code: null },
      ],
    };
  }

  /** Every mock DICOM item comes from this one fictitious device. */
  private static readonly MOCK_DEVICE = { manufacturer: 'Synthetic Devices', model: 'Sono Synth 5' };

  private regionTemplateSave(itemId: string, regions: DicomRegion[]): RegionTemplateDto {
    const u = this.requireRole(['lead'], 'validate deid');
    const v = this.requireVault();
    const d = v.deid.find((x) => x.itemId === itemId && x.image);
    if (!d?.image) throw fail('not_found', 'No DICOM, PNG or JPEG item has this id.');
    const { width, height } = d.image;
    const clipped = regions
      .map((r) => ({ ...r, width: Math.min(r.x + r.width, width) - r.x, height: Math.min(r.y + r.height, height) - r.y }))
      .filter((r) => r.x < width && r.y < height && r.width > 0 && r.height > 0);
    if (clipped.length === 0) throw fail('invalid_input', 'Draw at least one region on the image to keep as its device’s template.');
    const item = v.items.find((i) => i.dto.id === itemId)!.dto;
    const old = v.templates.find((t) => t.columns === width && t.rows === height);
    const t: RegionTemplateDto = {
      id: old?.id ?? newId('tpl'),
      device: MockBackend.MOCK_DEVICE,
      columns: width,
      rows: height,
      regions: clipped,
      from_item: itemId,
      from_item_number: item.number,
      saved_at: new Date(this.now()).toISOString(),
      saved_by: u.name,
    };
    v.templates = [...v.templates.filter((x) => x.id !== t.id), t];
    this.append('region_template_saved', 'success', u, { kind: 'region_template', id: t.id, name: null });
    return t;
  }

  private regionTemplateRemove(id: string): null {
    const u = this.requireRole(['lead'], 'validate deid');
    const v = this.requireVault();
    if (!v.templates.some((t) => t.id === id)) throw fail('not_found', 'No region template has this id.');
    v.templates = v.templates.filter((t) => t.id !== id);
    this.append('region_template_removed', 'success', u, { kind: 'region_template', id, name: null });
    return null;
  }

  private deidSignedOff(itemId: string): boolean {
    const v = this.requireVault();
    const batch = v.items.find((i) => i.dto.id === itemId)?.dto.batch_id ?? '';
    return v.signoffs.has(batch);
  }

  private deidRevise(itemId: string, edits: DeidSpanEdit[]): DeidReview {
    const u = this.requireRole(['lead'], 'validate deid');
    if (this.deidSignedOff(itemId)) throw fail('conflict', 'This item’s batch is signed off; its de-identification can no longer change.');
    const d = this.findDeid(itemId);
    for (const e of edits) {
      if (e.end <= e.start || e.end > d.original.length) throw fail('invalid_input', 'A span is empty or outside the document.');
    }
    const { spans } = MockBackend.apply(d.original, edits, MockBackend.detect(d.original));
    const same = (a: DeidSpan, b: DeidSpan) => a.start === b.start && a.end === b.end && a.category === b.category;
    d.misses += spans.filter((n) => !d.spans.some((c) => same(c, n))).length;
    d.spans = spans;
    d.revision += 1;
    d.status = 'proposed';
    this.append('deid_revised', 'success', u, { kind: 'item', id: itemId, name: null });
    return this.deidReview(itemId, false);
  }

  private deidValidate(itemId: string): null {
    const u = this.requireRole(['lead'], 'validate deid');
    const d = this.findDeid(itemId);
    if (d.status !== 'proposed') throw fail('conflict', 'Only a proposed de-identification can be validated.');
    d.status = 'validated';
    this.append('deid_validated', 'success', u, { kind: 'item', id: itemId, name: null });
    return null;
  }

  private deidBatchState(batchId: string): DeidBatchState {
    this.requireRole(['lead'], 'validate deid');
    const v = this.requireVault();
    const texts = v.items.filter((i) => i.dto.batch_id === batchId && i.dto.status === 'received' && (i.dto.kind === 'text' || i.dto.kind === 'dicom'));
    const results = texts.map((t) => v.deid.find((d) => d.itemId === t.dto.id));
    const sample = this.deidSample(batchId);
    const st: DeidBatchState = {
      batch_id: batchId,
      items: texts.length,
      pending: results.filter((r) => !r).length,
      proposed: results.filter((r) => r?.status === 'proposed').length,
      validated: results.filter((r) => r?.status === 'validated' || r?.status === 'validated_by_sample').length,
      failed: 0,
      sample_size: sample.length,
      sample_validated: results.filter((r) => r && r.status !== 'proposed' && sample.includes(r.itemId)).length,
      misses: results.reduce((n, r) => n + (r?.misses ?? 0), 0),
      can_sign_off: false,
      blocker: null,
      signed_off: v.signoffs.get(batchId) ?? null,
    };
    st.blocker = st.signed_off
      ? 'The batch is already signed off.'
      : st.items === 0
        ? 'The batch has no received text items.'
        : st.pending > 0
          ? `${st.pending} items are not de-identified yet: run de-identification first.`
          : v.deidSettings.sample_percent >= 100 && st.proposed > 0
            ? `${st.proposed} items are not validated yet (every item must be).`
            : st.sample_validated < st.sample_size
              ? `${st.sample_size - st.sample_validated} of the ${st.sample_size} sampled items are not validated yet.`
              : null;
    st.can_sign_off = st.blocker === null;
    return st;
  }

  private deidSignOff(batchId: string): DeidSignOff {
    const u = this.requireRole(['lead'], 'validate deid');
    const st = this.deidBatchState(batchId);
    if (!st.can_sign_off) throw fail('conflict', st.blocker ?? 'The batch cannot be signed off.');
    const so: DeidSignOff = {
      signed_by: u.name,
      signed_at: new Date(this.now()).toISOString(),
      items: st.items,
      sample_size: st.validated,
      misses: st.misses,
      signature: fakeHash(`signoff:${batchId}`),
    };
    const v = this.requireVault();
    for (const d of v.deid) {
      const inBatch = v.items.find((i) => i.dto.id === d.itemId)?.dto.batch_id === batchId;
      if (inBatch && d.status === 'proposed') d.status = 'validated_by_sample';
    }
    v.signoffs.set(batchId, so);
    this.append('deid_signed_off', 'success', u, { kind: 'batch', id: batchId, name: null });
    return so;
  }

  // ---- labelling and review (a stand-in with the same rules, simpler figures) ----

  private schemaCreate(input: SchemaInput): SchemaDto {
    const u = this.requireRole(['lead'], 'manage schemas');
    const v = this.requireVault();
    if (!input.name.trim()) throw fail('invalid_input', 'A schema name is 1 to 100 printable characters.');
    if (input.body.labels.length === 0 || input.body.labels.some((l) => !l.name.trim())) {
      throw fail('invalid_input', 'A schema needs 1 to 20 labels.');
    }
    const palette = ['#E69F00', '#56B4E9', '#009E73', '#F0E442', '#0072B2', '#D55E00', '#CC79A7', '#000000'];
    const version = v.schemas.filter((x) => x.name === input.name.trim()).length + 1;
    const dto: SchemaDto = {
      id: newId('sch'),
      name: input.name.trim(),
      version,
      task: input.task,
      body: {
        multi: input.body.multi,
        labels: input.body.labels.map((l, i) => ({ ...l, key: l.key ?? String((i + 1) % 10), color: l.color ?? palette[i % 8]! })),
      },
      guideline: input.guideline,
      guideline_pdf: input.guideline_pdf ? { sha256: `mock-${input.guideline_pdf.length}`, size: Math.floor((input.guideline_pdf.length * 3) / 4), pages: 2 } : null,
      status: 'draft',
      created_at: new Date(this.now()).toISOString(),
      published_at: null,
    };
    v.schemas.push(dto);
    this.append('schema_created', 'success', u, { kind: 'schema', id: dto.id, name: null });
    return dto;
  }

  /** A guideline page: the fake renders nothing, it returns a 1 × 1 white PNG. */
  private guidelinePage(schemaId: string, page: number): ArrayBuffer {
    this.requireRole(['lead', 'annotator', 'reviewer'], 'view schemas');
    const s = this.requireVault().schemas.find((x) => x.id === schemaId);
    if (!s?.guideline_pdf) throw fail('not_found', 'This schema version has no guideline PDF.');
    if (page < 0 || page >= s.guideline_pdf.pages) throw fail('invalid_input', `Page ${page + 1} does not exist: this guideline has ${s.guideline_pdf.pages} pages.`);
    const png = atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg==');
    return Uint8Array.from(png, (c) => c.charCodeAt(0)).buffer;
  }

  private schemaPublish(id: string): SchemaDto {
    const u = this.requireRole(['lead'], 'manage schemas');
    const s = this.requireVault().schemas.find((x) => x.id === id);
    if (!s || s.status !== 'draft') throw fail('conflict', 'Only a draft schema can be published.');
    s.status = 'published';
    s.published_at = new Date(this.now()).toISOString();
    this.append('schema_published', 'success', u, { kind: 'schema', id, name: null });
    return { ...s };
  }

  private released(batchId: string | null, task: Task): string[] {
    const v = this.requireVault();
    const kind = task.startsWith('text') ? 'text' : 'dicom';
    return v.items
      .filter((i) => (!batchId || i.dto.batch_id === batchId) && v.signoffs.has(i.dto.batch_id) && i.dto.kind === kind)
      .filter((i) => v.deid.some((d) => d.itemId === i.dto.id && (d.status === 'validated' || d.status === 'validated_by_sample')))
      .map((i) => i.dto.id);
  }

  /** The fake's de-identified DICOM: a 64×48 CT-like series of 12 frames (window 40/400). */
  static readonly MOCK_IMAGE: ImageInfo = {
    width: 64,
    height: 48,
    frames: 12,
    bits_stored: 16,
    signed: true,
    rescale_slope: 1,
    rescale_intercept: -1024,
    window_center: 40,
    window_width: 400,
    window_from_header: true,
    inverted: false,
    modality: 'CT',
    color: false,
  };

  /** One synthetic frame: air, a body ellipse with a bone ring, a lesion that grows and shrinks. */
  static mockFrame(info: ImageInfo, frame: number): ArrayBuffer {
    const out = new Uint16Array(info.width * info.height);
    const lesion = 0.12 * Math.sin((Math.PI * (frame + 0.5)) / info.frames);
    for (let y = 0; y < info.height; y++) {
      for (let x = 0; x < info.width; x++) {
        const dx = (x + 0.5 - info.width / 2) / (info.width * 0.42);
        const dy = (y + 0.5 - info.height / 2) / (info.height * 0.34);
        const r = Math.hypot(dx, dy);
        const l = Math.hypot((x + 0.5 - info.width * 0.62) / info.width, (y + 0.5 - info.height * 0.45) / info.height);
        const hu = r > 1 ? -1000 : r > 0.9 ? 700 : l < lesion ? 120 : 40;
        out[y * info.width + x] = (hu + 1024) & 0xffff;
      }
    }
    return out.buffer;
  }

  private releasedImage(itemId: string): ImageInfo {
    const d = this.requireVault().deid.find((x) => x.itemId === itemId && x.image);
    if (!d?.image || (d.status !== 'validated' && d.status !== 'validated_by_sample')) throw fail('conflict', 'This image is not released for annotation.');
    return d.image;
  }

  private frameOf(itemId: string, frame: number): ArrayBuffer {
    const info = this.releasedImage(itemId);
    if (!Number.isInteger(frame) || frame < 0 || frame >= info.frames) {
      throw fail('invalid_input', `Frame ${frame} does not exist: this image has ${info.frames} frames, numbered from 0 to ${info.frames - 1}.`);
    }
    return MockBackend.mockFrame(info, frame);
  }

  private assignmentFrame(id: string, frame: number): ArrayBuffer {
    const a = this.mine(id);
    const out = this.frameOf(a.itemId, frame);
    if (!this.pixelsRead.has(a.itemId)) {
      this.pixelsRead.add(a.itemId);
      this.append('item_viewed', 'success', this.requireUser(), { kind: 'item', id: a.itemId, name: null });
    }
    return out;
  }

  private reviewFrame(itemId: string, schemaId: string, frame: number): ArrayBuffer {
    this.requireRole(['reviewer'], 'review');
    const subs = this.requireVault().assignments.filter((a) => a.itemId === itemId && a.schemaId === schemaId && a.wasSubmitted);
    if (!subs.length) throw fail('not_found', 'Nothing has been submitted for this item yet.');
    const out = this.frameOf(itemId, frame);
    if (!this.pixelsRead.has(itemId)) {
      this.pixelsRead.add(itemId);
      this.append('item_viewed', 'success', this.requireUser(), { kind: 'item', id: itemId, name: null });
    }
    return out;
  }

  /** Items whose pixels this session read (their first read is audited). */
  private readonly pixelsRead = new Set<string>();

  private planAssign(req: AssignRequest, write: boolean): AssignPlan {
    const u = this.requireRole(['lead'], 'assign');
    const v = this.requireVault();
    const schema = v.schemas.find((x) => x.id === req.schema_id);
    if (!schema || schema.status !== 'published') throw fail('conflict', 'Publish the schema before assigning with it.');
    const annotators = req.annotators.map((n) => v.users.find((x) => x.name === n && x.role === 'annotator' && !x.disabled));
    if (annotators.length === 0 || annotators.some((x) => !x)) throw fail('invalid_input', 'Assign to active annotators only.');
    if (req.overlap < 1 || req.overlap > annotators.length) throw fail('invalid_input', `The overlap must be between 1 and the number of annotators chosen (${annotators.length}).`);
    const items = this.released(req.batch_id, schema.task);
    const fresh = items.filter((i) => !v.assignments.some((x) => x.itemId === i && x.schemaId === schema.id));
    const per = new Map(annotators.map((x) => [x!.name, 0]));
    const pairs: [string, MockUser][] = [];
    fresh.forEach((item, j) => {
      for (let t = 0; t < req.overlap; t++) {
        const a = annotators[(j * req.overlap + t) % annotators.length]!;
        pairs.push([item, a]);
        per.set(a.name, (per.get(a.name) ?? 0) + 1);
      }
    });
    const plan: AssignPlan = {
      items: fresh.length,
      already_assigned: items.length - fresh.length,
      per_annotator: [...per.entries()].map(([name, n]) => ({ name, items: n })),
      overlap_items: req.overlap >= 2 ? fresh.length : 0,
      warning:
        fresh.length === 0
          ? 'No released items are waiting: de-identify, validate and sign off a batch first.'
          : req.overlap < 2
            ? 'With no overlap, agreement cannot be estimated.'
            : fresh.length < 10
              ? `Only ${fresh.length} items overlap: too few to estimate kappa or alpha reliably (at least 10).`
              : null,
    };
    if (write) {
      if (pairs.length === 0) throw fail('conflict', plan.warning ?? 'Nothing to assign.');
      for (const [item, a] of pairs) {
        v.assignments.push({ id: newId('asg'), itemId: item, annotatorId: a.id, schemaId: schema.id, status: 'assigned', value: null, revision: 0, wasSubmitted: false, comment: null, savedAt: null });
      }
      this.append('items_assigned', 'success', u, { kind: 'schema', id: schema.id, name: null });
    }
    return plan;
  }

  private progressRows(): ProgressRow[] {
    this.requireRole(['lead'], 'view progress');
    const v = this.requireVault();
    const rows = new Map<string, ProgressRow>();
    for (const a of v.assignments) {
      const name = v.users.find((x) => x.id === a.annotatorId)?.name ?? '?';
      const r = rows.get(name) ?? { annotator: name, assigned: 0, in_progress: 0, submitted: 0, rejected: 0, accepted: 0 };
      r.assigned += 1;
      if (a.status === 'in_progress') r.in_progress += 1;
      if (a.status === 'submitted') r.submitted += 1;
      if (a.status === 'rejected') r.rejected += 1;
      if (a.status === 'accepted') r.accepted += 1;
      rows.set(name, r);
    }
    return [...rows.values()];
  }

  private itemNumber(itemId: string): number {
    return this.requireVault().items.find((i) => i.dto.id === itemId)?.dto.number ?? 0;
  }

  private myQueue(): QueueEntry[] {
    const u = this.requireRole(['annotator'], 'annotate');
    const v = this.requireVault();
    const order: Record<AssignmentStatus, number> = { rejected: 0, in_progress: 1, assigned: 2, submitted: 3, accepted: 4 };
    return v.assignments
      .filter((a) => a.annotatorId === u.id && a.status !== 'accepted')
      .sort((x, y) => order[x.status] - order[y.status] || this.itemNumber(x.itemId) - this.itemNumber(y.itemId))
      .map((a) => {
        const s = v.schemas.find((x) => x.id === a.schemaId)!;
        return { assignment_id: a.id, item_number: this.itemNumber(a.itemId), schema: `${s.name} v${s.version}`, task: s.task, status: a.status, comment: a.status === 'rejected' ? a.comment : null };
      });
  }

  private mine(id: string): MockAssignment {
    const u = this.requireRole(['annotator'], 'annotate');
    const a = this.requireVault().assignments.find((x) => x.id === id && x.annotatorId === u.id);
    if (!a) throw fail('not_found', 'You have no assignment with this id.');
    return a;
  }

  private releasedText(itemId: string): string {
    const d = this.requireVault().deid.find((x) => x.itemId === itemId);
    if (!d) throw fail('conflict', 'This item is not released for annotation.');
    return MockBackend.apply(d.original, d.spans.map((x) => ({ start: x.start, end: x.end, category: x.category })), []).out;
  }

  private openAssignment(id: string): AnnotateView {
    const a = this.mine(id);
    const v = this.requireVault();
    const schema = v.schemas.find((x) => x.id === a.schemaId)!;
    this.append('item_viewed', 'success', this.requireUser(), { kind: 'item', id: a.itemId, name: null });
    return {
      assignment_id: a.id,
      item_number: this.itemNumber(a.itemId),
      schema,
      text: schema.task.startsWith('text') ? this.releasedText(a.itemId) : null,
      image: schema.task.startsWith('text') ? null : this.releasedImage(a.itemId),
      value: a.value ?? { spans: [], labels: [], boxes: [], polygons: [] },
      revision: a.revision,
      status: a.status,
      comment: a.status === 'rejected' ? a.comment : null,
      saved_at: a.savedAt,
      needs_reason: a.wasSubmitted,
    };
  }

  private saveAnnotation(id: string, value: AnnotationValue, reason: string | null): SaveResult {
    const a = this.mine(id);
    if (a.status === 'accepted') throw fail('conflict', 'These labels were accepted by a reviewer and can no longer change.');
    if (a.wasSubmitted && !reason?.trim()) throw fail('invalid_input', 'These labels were submitted: say why you change them.');
    const schema = this.requireVault().schemas.find((x) => x.id === a.schemaId)!;
    if (schema.task.startsWith('text')) {
      const text = this.releasedText(a.itemId);
      if (value.spans.some((x) => x.start >= x.end || x.end > new TextEncoder().encode(text).length)) {
        throw fail('invalid_input', 'Span 1 is empty, outside the text or cuts a character.');
      }
    } else {
      MockBackend.checkRegions(value, schema, this.releasedImage(a.itemId));
    }
    a.value = JSON.parse(JSON.stringify(value)) as AnnotationValue;
    a.revision += 1;
    a.savedAt = new Date(this.now()).toISOString();
    if (a.status !== 'in_progress') a.status = 'in_progress';
    this.append('annotation_changed', 'success', this.requireUser(), { kind: 'assignment', id, name: null });
    return { revision: a.revision, saved_at: a.savedAt };
  }

  /** The backend's region checks (crates/model AnnotationValue::validate), same sentences. */
  private static checkRegions(value: AnnotationValue, schema: SchemaDto, info: ImageInfo): void {
    const inside = (x: number, y: number) => Number.isFinite(x) && Number.isFinite(y) && x >= 0 && y >= 0 && x <= info.width && y <= info.height;
    const known = (l: string) => schema.body.labels.some((d) => d.name === l);
    value.boxes.forEach((b, i) => {
      if (!(inside(b.x, b.y) && inside(b.x + b.w, b.y + b.h) && b.w > 0 && b.h > 0 && b.frame < info.frames)) {
        throw fail('invalid_input', `Region ${i + 1} is outside the image or has no area.`);
      }
      if (!known(b.label)) throw fail('invalid_input', `Region ${i + 1} uses a label that is not in the schema.`);
    });
    value.polygons.forEach((p, i) => {
      if (p.points.length < 3 || !p.points.every(([x, y]) => inside(x, y)) || p.frame >= info.frames) {
        throw fail('invalid_input', `Region ${i + 1} is outside the image or has no area.`);
      }
      if (!known(p.label)) throw fail('invalid_input', `Region ${i + 1} uses a label that is not in the schema.`);
    });
  }

  private submitAnnotation(id: string): null {
    const a = this.mine(id);
    if (a.status === 'submitted' || a.status === 'accepted') throw fail('conflict', 'These labels are already submitted.');
    a.value ??= { spans: [], labels: [], boxes: [], polygons: [] };
    a.status = 'submitted';
    a.wasSubmitted = true;
    this.append('annotation_submitted', 'success', this.requireUser(), { kind: 'assignment', id, name: null });
    return null;
  }

  private aliasOf(schemaId: string, annotatorId: string): string {
    const ids: string[] = [];
    for (const a of this.requireVault().assignments) if (a.schemaId === schemaId && !ids.includes(a.annotatorId)) ids.push(a.annotatorId);
    return `A${ids.indexOf(annotatorId) + 1}`;
  }

  private reviewQueue(): ReviewRow[] {
    this.requireRole(['reviewer'], 'review');
    const v = this.requireVault();
    const groups = new Map<string, MockAssignment[]>();
    for (const a of v.assignments) groups.set(`${a.itemId}|${a.schemaId}`, [...(groups.get(`${a.itemId}|${a.schemaId}`) ?? []), a]);
    const rows: ReviewRow[] = [];
    for (const [k, list] of groups) {
      const subs = list.filter((a) => a.wasSubmitted);
      if (!subs.length) continue;
      const [itemId, schemaId] = k.split('|') as [string, string];
      const s = v.schemas.find((x) => x.id === schemaId)!;
      const distinct = new Set(subs.map((a) => JSON.stringify(a.value)));
      rows.push({ item_id: itemId, item_number: this.itemNumber(itemId), schema_id: schemaId, schema: `${s.name} v${s.version}`, submitted: subs.length, assigned: list.length, disagreement: distinct.size > 1, has_gold: v.gold.has(k) });
    }
    return rows.sort((x, y) => Number(y.disagreement) - Number(x.disagreement) || x.item_number - y.item_number);
  }

  private reviewItem(itemId: string, schemaId: string): ReviewView {
    this.requireRole(['reviewer'], 'review');
    const v = this.requireVault();
    const schema = v.schemas.find((x) => x.id === schemaId);
    if (!schema) throw fail('not_found', 'No schema has this id.');
    const subs = v.assignments.filter((a) => a.itemId === itemId && a.schemaId === schemaId && a.wasSubmitted);
    const vals = subs.map((a) => a.value!);
    const agreed: AnnotationValue = {
      spans: (vals[0]?.spans ?? []).filter((x) => vals.every((w) => w.spans.some((y) => y.start === x.start && y.end === x.end && y.label === x.label))),
      labels: (vals[0]?.labels ?? []).filter((l) => vals.every((w) => w.labels.includes(l))),
      boxes: [],
      polygons: [],
    };
    const states = vals[0] ? boxStates(vals[0].boxes, vals.slice(1).map((w) => w.boxes)) : [];
    agreed.boxes = (vals[0]?.boxes ?? []).filter((_, i) => states[i] === 'agree');
    const union = new Set(vals.flatMap((w) => w.spans.map((x) => `${x.start}:${x.end}:${x.label}`)));
    this.append('item_viewed', 'success', this.requireUser(), { kind: 'item', id: itemId, name: null });
    return {
      item_id: itemId,
      item_number: this.itemNumber(itemId),
      schema,
      text: schema.task.startsWith('text') ? this.releasedText(itemId) : null,
      image: schema.task.startsWith('text') ? null : this.releasedImage(itemId),
      // Box marks and IoU as the server computes them; the mock has no polygon geometry, so
      // its polygon reviews carry no marks and no IoU.
      annotations: subs.map((a, i) => ({
        alias: this.aliasOf(schemaId, a.annotatorId),
        assignment_id: a.id,
        status: a.status,
        value: a.value!,
        states: schema.task === 'image_boxes' ? boxStates(vals[i]!.boxes, vals.filter((_, j) => j !== i).map((w) => w.boxes)) : [],
      })),
      pair_iou:
        schema.task === 'image_boxes'
          ? subs.flatMap((a, i) =>
              subs.slice(i + 1).map((b, k) => ({ a: this.aliasOf(schemaId, a.annotatorId), b: this.aliasOf(schemaId, b.annotatorId), value: pairIou(vals[i]!.boxes, vals[i + 1 + k]!.boxes), n: vals[i]!.boxes.length })),
            )
          : [],
      gold: v.gold.get(`${itemId}|${schemaId}`) ?? null,
      agreed,
      summary: schema.task === 'image_boxes'
        ? {
            agree: agreed.boxes.length,
            conflict: states.filter((x) => x === 'conflict').length,
            boundary: states.filter((x) => x === 'boundary').length,
            missing: states.filter((x) => x === 'missing').length,
          }
        : { agree: agreed.spans.length + agreed.labels.length, conflict: 0, boundary: 0, missing: union.size - agreed.spans.length },
    };
  }

  private reviewDecide(itemId: string, schemaId: string, d: ReviewDecision): null {
    const u = this.requireRole(['reviewer'], 'review');
    const v = this.requireVault();
    if (d.decision === 'adjudicate') {
      v.gold.set(`${itemId}|${schemaId}`, JSON.parse(JSON.stringify(d.gold)) as AnnotationValue);
    } else {
      const a = v.assignments.find((x) => x.id === d.assignment_id && x.itemId === itemId);
      if (!a || a.status !== 'submitted') throw fail('conflict', 'Only submitted labels can be accepted or rejected.');
      if (d.decision === 'reject') {
        if (!d.comment.trim()) throw fail('invalid_input', 'Say what to fix (1 to 2,000 characters).');
        a.status = 'rejected';
        a.comment = d.comment.trim();
      } else {
        a.status = 'accepted';
      }
    }
    this.append('review_decided', 'success', u, { kind: 'item', id: itemId, name: null });
    return null;
  }

  private agreementOf(schemaId: string): AgreementDto {
    this.requireRole(['lead', 'reviewer'], 'view agreement');
    const v = this.requireVault();
    const schema = v.schemas.find((x) => x.id === schemaId);
    if (!schema) throw fail('not_found', 'No schema has this id.');
    const byItem = new Map<string, MockAssignment[]>();
    for (const a of v.assignments) if (a.schemaId === schemaId && a.wasSubmitted) byItem.set(a.itemId, [...(byItem.get(a.itemId) ?? []), a]);
    const overlap = [...byItem.values()].filter((l) => l.length >= 2);
    const same = overlap.filter((l) => new Set(l.map((a) => JSON.stringify(a.value))).size === 1).length;
    const annotators = [...new Set([...byItem.values()].flat().map((a) => this.aliasOf(schemaId, a.annotatorId)))].sort();
    return {
      schema_id: schemaId,
      task: schema.task,
      annotators,
      overlap_items: overlap.length,
      metrics: overlap.length
        ? [{ metric: 'percent_agreement', value: same / overlap.length, n_compared: overlap.length, n_total: byItem.size, undefined: null, warnings: overlap.length < 10 ? [`only ${overlap.length} items were compared`] : [] }]
        : [],
      per_label: [],
      pairs: [],
      confusion: null,
      note: overlap.length ? null : `Agreement needs two or more annotators on the same items; ${byItem.size} items have submissions but none overlap. Set overlap in Assignment.`,
    };
  }

  // ---- delivery, retention, destruction ----

  private readonly certificates = new Set<string>();

  private exportDeliverable(req: ExportRequest): ExportReport {
    const u = this.requireRole(['lead'], 'export');
    if (!req.reason.trim()) throw fail('invalid_input', 'Say why the data is exported (1 to 2,000 characters).');
    if (!req.plaintext && req.recipients.length === 0 && !req.passphrase) {
      throw fail('invalid_input', 'Name at least one age recipient (age1…), or a passphrase, to encrypt the bag to.');
    }
    if (req.recipients.some((r) => !r.startsWith('age1'))) throw fail('invalid_input', 'A recipient must be an age X25519 public key (age1…).');
    const v = this.requireVault();
    const id = newId('exp');
    const published = v.schemas.filter((x) => x.status === 'published');
    if (!req.schema_id && published.length === 0) throw fail('conflict', 'No schema is published yet, so there are no labels to deliver.');
    if (!req.schema_id && published.length > 1) throw fail('invalid_input', 'Several schemas are published: name the one to deliver.');
    const schemaId = req.schema_id ?? published[0]?.id;
    const items = v.assignments.filter((x) => x.schemaId === schemaId && x.wasSubmitted).length;
    if (items === 0) throw fail('conflict', 'No item of this schema has submitted labels yet.');
    v.exports.push({ id, created_at: new Date(this.now()).toISOString(), created_by: u.name, form: req.plaintext ? 'BagIt bag, plaintext directory' : 'BagIt bag, age-encrypted tar', recipient: req.plaintext ? 'none (plaintext)' : req.recipients.join(', '), what: `${items} items`, file_sha256: req.plaintext ? null : fakeHash(id) });
    this.append('deliverable_exported', 'success', u, { kind: 'export', id, name: null });
    return { export_id: id, path: req.out, items, payload_files: items + 1, formats: ['jsonl', 'conll'], file_sha256: req.plaintext ? null : fakeHash(id), tagmanifest_sha256: fakeHash(`tm${id}`), plaintext: req.plaintext, how_to_verify: `age -d -i KEY -o bag.tar ${req.out} && tar -xf bag.tar && bagit.py --validate airlock-export` };
  }

  /** The stage rail from the mock's state (the same rules as crates/app/src/overview.rs, fewer sentences). */
  private overview(): ProjectOverview {
    const v = this.requireVault();
    const live = v.batches.filter((b) => b.report.status !== 'aborted');
    const deciding = live.filter((b) => b.report.status === 'needs_decision').length;
    const items = v.items.filter((i) => i.dto.status === 'received');
    const mismatched = live.reduce((n, b) => n + b.report.files.filter((f) => f.verdict === 'mismatched').length, 0);
    const toRun = items.filter((i) => i.dto.kind === 'text' && !v.deid.some((d) => d.itemId === i.dto.id)).length;
    const proposed = v.deid.filter((d) => d.status === 'proposed').length;
    const validated = v.deid.filter((d) => d.status === 'validated' || d.status === 'validated_by_sample').length;
    const published = v.schemas.filter((s) => s.status === 'published').length;
    const submitted = v.assignments.filter((a) => a.status === 'submitted' || a.status === 'accepted').length;
    const keys = new Set(v.assignments.filter((a) => a.wasSubmitted).map((a) => `${a.itemId}|${a.schemaId}`));
    const toReview = [...keys].filter((k) => !v.gold.has(k)).length;
    const r = this.retentionState();
    const st = (stage: StageSummary['stage'], state: StageState, counts: [string, number][], next: string | null = null): StageSummary => ({ stage, state, counts: counts.map(([label, n]) => ({ label, n })), next });
    const alerts: ProjectOverview['alerts'] = [];
    if (mismatched > 0) alerts.push({ level: 'danger', stage: 'receive', message: `${mismatched} received file${mismatched === 1 ? '' : 's'} failed the checksum check and ${mismatched === 1 ? 'is' : 'are'} quarantined, not imported.` });
    if (r.due) alerts.push({ level: 'danger', stage: 'retain', message: `Retention ended on ${r.retention_date}: the vault is due for destruction.` });
    if (proposed > 0) alerts.push({ level: 'warning', stage: 'deidentify', message: `${proposed} de-identified item${proposed === 1 ? '' : 's'} not validated yet.` });
    else if (r.remind && !r.due) alerts.push({ level: 'warning', stage: 'retain', message: `Retention ends on ${r.retention_date}, in ${r.days_left} days: plan the destruction.` });
    return {
      alerts,
      stages: [
        st('receive', live.length === 0 ? 'not_started' : deciding > 0 ? 'needs_attention' : 'done', [['deliveries', live.length], ['items', items.length], ['quarantined', mismatched]], live.length === 0 ? 'No data yet. Ingest a folder, a BagIt bag, or a folder with a manifest.' : deciding > 0 ? `Decide ${deciding} delivery: import the verified files only, or abort.` : null),
        st('deidentify', toRun + proposed + validated === 0 ? 'not_started' : toRun > 0 ? 'in_progress' : proposed > 0 ? 'needs_attention' : 'done', [['to run', toRun], ['to check', proposed], ['validated', validated]], toRun > 0 ? `Run de-identification on ${toRun} items.` : proposed > 0 ? `Check ${proposed} de-identified items beside their originals.` : null),
        st('assign', published === 0 ? 'not_started' : 'done', [['schemas', published], ['ready', validated], ['assigned', new Set(v.assignments.map((a) => a.itemId)).size]], published === 0 ? 'Publish a labelling schema.' : null),
        st('annotate', v.assignments.length === 0 ? 'not_started' : submitted < v.assignments.length ? 'in_progress' : 'done', [['assigned', v.assignments.length], ['submitted', submitted], ['sent back', v.assignments.filter((a) => a.status === 'rejected').length]]),
        st('review', keys.size === 0 ? 'not_started' : toReview > 0 ? 'in_progress' : 'done', [['to review', toReview], ['gold', v.gold.size]], toReview > 0 ? `Review ${toReview} items.` : null),
        st('deliver', v.exports.length > 0 ? 'done' : 'not_started', [['gold items', v.gold.size], ['deliverables', v.exports.length]], v.exports.length === 0 && submitted > 0 ? 'Export the labels with their compliance package.' : null),
        st('retain', r.due || r.remind ? 'needs_attention' : r.retention_date ? 'in_progress' : 'not_started', [['outside the vault', v.exports.length]], r.due ? 'Destroy the vault and issue the certificate of destruction.' : r.retention_date ? `Kept until ${r.retention_date} (${r.days_left} days left).` : 'Set the retention date the contract requires.'),
      ],
    };
  }

  private retentionOf(): RetentionDto {
    this.requireRole(['lead', 'compliance'], 'view retention');
    return this.retentionState();
  }

  private retentionState(): RetentionDto {
    const v = this.requireVault();
    const days = v.retention.date ? Math.round((Date.parse(v.retention.date) - this.now()) / 86_400_000) : null;
    return { retention_date: v.retention.date, rule: v.retention.rule, days_left: days, due: days !== null && days <= 0, remind: days !== null && days <= 30, exports: [...v.exports], last_audit_export: null };
  }

  private destroyVault(req: DestroyRequest, passphrase: string): DestroyReport {
    const u = this.requireRole(['compliance'], 'destroy');
    const v = this.requireVault();
    if (req.confirm_project !== v.projectName) throw fail('invalid_input', 'Type the project’s name exactly to confirm the destruction.');
    if (!this.retentionOf().due) throw fail('conflict', 'Set the project’s retention date first: destruction starts only when it is due.');
    if (passphrase !== u.passphrase) throw fail('bad_credentials', 'User name or passphrase not recognised.');
    if (req.verifier) {
      const w = v.users.find((x) => x.name === req.verifier!.name);
      if (!w || w.passphrase !== req.verifier.passphrase || w.id === u.id) throw fail('bad_credentials', 'The second person’s user name or passphrase was not recognised.');
    }
    this.certificates.add(req.certificate_out);
    this.disk.delete(v.summary.path);
    this.vault = null;
    this.session = null;
    return { certificate_json: req.certificate_out, certificate_pdf: req.certificate_out.replace(/\.json$/, '.pdf'), audit_export: req.audit_out, fingerprint: fakeHash(req.certificate_out), files_removed: 42, bytes_removed: 123456, verified: true, resumed: false };
  }

  private verifyCertificate(path: string): CertificateCheckDto {
    const ok = this.certificates.has(path);
    return { ok, message: ok ? 'The certificate is intact and signed by cora; verification passed.' : 'This is not an Airlock certificate of destruction.', certificate_id: null, project: null, sanitizer: ok ? 'cora' : null, verifier: null, verification_passed: ok ? true : null, audit_head: null, audit_matches: ok ? true : null, fingerprint: ok ? fakeHash(path) : null };
  }

  // ---- work packages ----

  private createWorkspaceVault(path: string, userName: string, passphrase: string): CreatedVault {
    if (!NAME_RE.test(userName)) {
      throw fail('invalid_input', 'User names are 2–32 letters, digits, dots, dashes or underscores.');
    }
    if (passphrase.length < MIN_PASSPHRASE) {
      throw fail('invalid_input', `Passphrases need at least ${MIN_PASSPHRASE} characters.`);
    }
    if (!path.trim() || this.disk.has(path)) throw fail('conflict', 'Something already exists at this path. Choose another.');
    if (this.session) this.logout();
    const v = this.newVault(path, 'Personal workspace');
    const me = this.makeUser(userName, 'annotator', passphrase);
    v.users.push(me);
    this.disk.set(path, v);
    this.vault = v;
    this.append('vault_created', 'success', me, { kind: 'vault', id: v.summary.vault_id, name: null });
    return { vault: { ...v.summary }, recovery_code: v.recoveryCode };
  }

  private writeFile(path: string, file: MockFile): void {
    if (!path.trim()) throw fail('invalid_input', 'Choose where to write the file.');
    if (this.files.has(path)) throw fail('conflict', 'A file with this name already exists; choose another.');
    this.files.set(path, file);
  }

  private readFile(path: string): MockFile {
    const f = this.files.get(path);
    if (!f) throw fail('not_found', 'The package file does not exist.');
    return f;
  }

  private contactExport(out: string): ContactInfo {
    const u = this.requireUser();
    const v = this.requireVault();
    const fingerprint = this.cardFingerprint(u.id);
    this.writeFile(out, { kind: 'card', userName: u.name, fingerprint, vaultId: v.summary.vault_id });
    this.append('contact_exported', 'success', u, { kind: 'user', id: u.id, name: null });
    return { user_name: u.name, fingerprint };
  }

  private cardFingerprint(userId: string): string {
    return fakeHash(`card${userId}`).slice(0, 20).replace(/(.{4})(?!$)/g, '$1-');
  }

  private contactImport(user: string | null, path: string): ContactInfo {
    const u = this.requireRole(['lead'], 'import contact cards');
    const f = this.files.get(path);
    if (!f) throw fail('not_found', 'The contact card file does not exist.');
    if (f.kind !== 'card') throw fail('invalid_input', 'The file is not an Airlock contact card.');
    const v = this.requireVault();
    const target = v.users.find((x) => x.name === (user ?? f.userName));
    if (!target) throw fail('not_found', 'No user has this name.');
    if (target.role !== 'annotator' || target.disabled) throw fail('invalid_input', 'Contact cards are bound to active annotators only.');
    v.contacts.set(target.id, { vaultId: f.vaultId, fingerprint: f.fingerprint });
    this.append('contact_imported', 'success', u, { kind: 'user', id: target.id, name: target.name });
    return { user_name: target.name, fingerprint: f.fingerprint };
  }

  private packageTrustLead(path: string): ContactInfo {
    const u = this.requireRole(['annotator'], 'open packages');
    const f = this.files.get(path);
    if (!f) throw fail('not_found', 'The contact card file cannot be read.');
    if (f.kind !== 'card') throw this.refuse(u, 'bad_contact', 'The file is not an Airlock contact card.');
    const v = this.requireVault();
    if (v.trustedLead && v.trustedLead !== f.fingerprint) throw fail('conflict', 'This workspace already trusts another lead’s key.');
    v.trustedLead = f.fingerprint;
    this.append('contact_imported', 'success', u, { kind: 'lead', id: null, name: f.userName });
    return { user_name: f.userName, fingerprint: f.fingerprint };
  }

  private packageDto(p: MockPackage): PackageDto {
    const v = this.requireVault();
    return {
      id: p.id,
      direction: p.direction,
      user_name: v.users.find((u) => u.id === p.userId)?.name ?? '',
      status: p.status,
      created_at: p.createdAt,
      expires_at: p.expiresAt,
      assignments: p.assignmentIds.length,
      conflicts: 0,
      file_sha256: fakeHash(p.id),
    };
  }

  private packageAssign(to: string, out: string, days: number): PackageDto {
    const lead = this.requireRole(['lead'], 'export packages');
    const v = this.requireVault();
    if (!(days >= 1 && days <= 365)) throw fail('invalid_input', 'A package is valid for 1 to 365 days.');
    const target = v.users.find((x) => x.name === to.trim());
    if (!target) throw fail('not_found', 'No user has this name.');
    if (target.role !== 'annotator' || target.disabled) throw fail('invalid_input', 'Packages go to active annotators only.');
    const contact = v.contacts.get(target.id);
    if (!contact) throw fail('conflict', 'Import this annotator’s contact card first: packages are encrypted to it.');
    const busy = new Set(v.packages.filter((p) => p.status === 'issued').flatMap((p) => p.assignmentIds));
    const open = v.assignments.filter((x) => x.annotatorId === target.id && x.status !== 'accepted' && !busy.has(x.id));
    if (open.length === 0) throw fail('conflict', 'This annotator has no open assignments outside an outstanding package.');
    const itemIds = new Set(open.map((x) => x.itemId));
    const now = this.now();
    const p: MockPackage = {
      id: newId('pkg'),
      direction: 'issued',
      sourceVault: v.summary.vault_id,
      userId: target.id,
      status: 'issued',
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + days * 86_400_000).toISOString(),
      assignmentIds: open.map((x) => x.id),
      resultId: null,
    };
    const clone = <T,>(x: T): T => structuredClone(x);
    this.writeFile(out, {
      kind: 'assign',
      packageId: p.id,
      issuer: this.cardFingerprint(lead.id),
      sourceVault: v.summary.vault_id,
      toVault: contact.vaultId,
      targetUser: target.id,
      expiresAt: p.expiresAt,
      schemas: clone(v.schemas.filter((sc) => open.some((x) => x.schemaId === sc.id))),
      items: clone(v.items.filter((i) => itemIds.has(i.dto.id))),
      deid: clone(v.deid.filter((d) => itemIds.has(d.itemId))),
      assignments: clone(open),
    });
    v.packages.push(p);
    this.append('package_issued', 'success', lead, { kind: 'package', id: p.id, name: null });
    return this.packageDto(p);
  }

  private refuse(u: MockUser, reason: string, message: string): AppError {
    this.append('package_refused', 'failure', u, { kind: 'package', id: null, name: null }, undefined, JSON.stringify({ reason }));
    return fail('invalid_input', message);
  }

  private packageOpen(path: string): PackageDto {
    const u = this.requireRole(['annotator'], 'open packages');
    const v = this.requireVault();
    const f = this.readFile(path);
    if (f.kind !== 'assign') throw this.refuse(u, 'not_an_assignment', 'This is not an assignment package: open it in the lead’s vault.');
    if (f.toVault !== v.summary.vault_id) throw this.refuse(u, 'not_for_you', 'This package is not encrypted to you (it is for someone else or another vault).');
    if (Date.parse(f.expiresAt) <= this.now()) throw this.refuse(u, 'expired', 'This package has expired: ask your lead for a new one.');
    if (v.trustedLead && v.trustedLead !== f.issuer) {
      throw this.refuse(u, 'unknown_issuer', 'This package is signed by another key than the lead this workspace trusts.');
    }
    const seen = v.packages.find((p) => p.id === f.packageId);
    if (seen) return this.packageDto(seen);
    for (const sc of f.schemas) if (!v.schemas.some((x) => x.id === sc.id)) v.schemas.push(structuredClone(sc));
    for (const i of f.items) if (!v.items.some((x) => x.dto.id === i.dto.id)) v.items.push(structuredClone(i));
    for (const d of f.deid) if (!v.deid.some((x) => x.itemId === d.itemId)) v.deid.push(structuredClone(d));
    for (const x of f.assignments) {
      v.assignments = v.assignments.filter((y) => y.id !== x.id);
      v.assignments.push({ ...structuredClone(x), annotatorId: u.id });
    }
    const p: MockPackage = {
      id: f.packageId,
      direction: 'opened',
      sourceVault: f.sourceVault,
      userId: u.id,
      status: 'opened',
      createdAt: new Date(this.now()).toISOString(),
      expiresAt: f.expiresAt,
      assignmentIds: f.assignments.map((x) => x.id),
      resultId: null,
    };
    v.packages.push(p);
    this.append('package_opened', 'success', u, { kind: 'package', id: p.id, name: null });
    return this.packageDto(p);
  }

  private packageReturn(out: string): PackageDto {
    const u = this.requireRole(['annotator'], 'return packages');
    const v = this.requireVault();
    const open = v.packages.filter((p) => p.direction === 'opened' && p.status === 'opened');
    const p = open[0];
    if (!p) throw fail('not_found', 'No opened package is waiting for its result.');
    if (open.length > 1) throw fail('invalid_input', 'Several packages are open: name the one to return.');
    const resultId = newId('res');
    this.writeFile(out, {
      kind: 'result',
      resultId,
      packageId: p.id,
      sourceVault: p.sourceVault,
      assignments: structuredClone(v.assignments.filter((x) => p.assignmentIds.includes(x.id))),
    });
    p.status = 'returned';
    p.resultId = resultId;
    this.append('package_returned', 'success', u, { kind: 'package', id: p.id, name: null });
    return this.packageDto(p);
  }

  private packageMerge(path: string): MergeReport {
    const lead = this.requireRole(['lead'], 'merge packages');
    const v = this.requireVault();
    const f = this.readFile(path);
    if (f.kind !== 'result') throw this.refuse(lead, 'not_a_result', 'This is not a result package: an annotator opens assignment packages.');
    if (f.sourceVault !== v.summary.vault_id) throw this.refuse(lead, 'not_for_you', 'This package is not encrypted to you (it is for someone else or another vault).');
    const p = v.packages.find((x) => x.id === f.packageId && x.direction === 'issued');
    if (!p) throw this.refuse(lead, 'unknown_package', 'This result answers no package this vault issued.');
    const report = (already: boolean, changes: number): MergeReport => ({
      package: this.packageDto(p),
      result_id: f.resultId,
      already_merged: already,
      changes,
      assignments: already ? 0 : f.assignments.length,
      conflicts: 0,
      segment_events: already ? 0 : f.assignments.length * 3,
    });
    if (p.status === 'merged' && p.resultId === f.resultId) return report(true, 0);
    if (p.status === 'revoked') throw this.refuse(lead, 'revoked', 'The package this result answers was revoked: its results are refused.');
    if (p.status === 'merged') throw this.refuse(lead, 'already_merged', 'Another result for this package was merged already.');
    if (v.users.find((x) => x.id === p.userId)?.disabled) throw this.refuse(lead, 'disabled_user', 'This result is from a disabled user and is refused.');
    if (Date.parse(p.expiresAt) <= this.now()) throw this.refuse(lead, 'expired', 'The package this result answers has expired: issue a new one.');
    let changes = 0;
    for (const r of f.assignments) {
      const mine = v.assignments.find((x) => x.id === r.id);
      if (!mine) continue;
      changes += Math.max(0, r.revision - mine.revision);
      Object.assign(mine, { ...structuredClone(r), annotatorId: mine.annotatorId });
    }
    p.status = 'merged';
    p.resultId = f.resultId;
    this.append('package_merged', 'success', lead, { kind: 'package', id: p.id, name: null });
    const annotator = v.users.find((x) => x.id === p.userId) ?? null;
    const workspace = v.contacts.get(p.userId)?.vaultId ?? newId('vault');
    const earlier = [...v.segments.values()].filter((s) => s.workspace_vault === workspace);
    let wseq = earlier.reduce((n, s) => n + s.rows.length, 0);
    let prev = earlier.at(-1)?.rows.at(-1)?.hash ?? '0'.repeat(64);
    const rows: AuditRow[] = f.assignments.flatMap((a) =>
      (['item_viewed', 'annotation_changed', 'annotation_submitted'] as const).map((action) => {
        wseq += 1;
        const hash = fakeHash(`${workspace}:${wseq}`);
        const row: AuditRow = {
          seq: wseq,
          id: newId('evt'),
          ts: new Date(this.now()).toISOString(),
          actor_id: annotator ? newId('user') : null,
          actor_name: annotator?.name ?? null,
          actor_role: 'annotator',
          action,
          outcome: 'success',
          object_kind: 'assignment',
          object_id: a.id,
          object_name: null,
          detail: '{}',
          break_glass: false,
          prev_hash: prev,
          hash,
        };
        prev = hash;
        return row;
      }),
    );
    const mergeSeq = v.events[v.events.length - 1]!.seq;
    v.segments.set(mergeSeq, { merge_seq: mergeSeq, workspace_vault: workspace, rows });
    return report(false, changes);
  }

  private packageRevoke(id: string, reason: string): PackageDto {
    const lead = this.requireRole(['lead'], 'revoke packages');
    if (!reason.trim()) throw fail('invalid_input', 'Say why the package is revoked (1 to 2,000 characters).');
    const p = this.requireVault().packages.find((x) => x.id === id && x.direction === 'issued');
    if (!p) throw fail('not_found', 'This vault issued no package with this id.');
    if (p.status !== 'issued') throw fail('conflict', 'Only an outstanding package can be revoked.');
    p.status = 'revoked';
    this.append('package_revoked', 'success', lead, { kind: 'package', id: p.id, name: null });
    return this.packageDto(p);
  }

  private append(
    action: EventKind,
    outcome: Outcome,
    actor: MockUser | null,
    object: { kind: string; id: string | null; name: string | null } | null,
    at?: number,
    detail = '{}',
  ): void {
    const v = this.vault;
    if (!v) return;
    const prev = v.events[v.events.length - 1];
    const seq = (prev?.seq ?? 0) + 1;
    const prevHash = prev?.hash ?? '0'.repeat(64);
    const ts = new Date(at ?? this.now()).toISOString();
    const bg =
      this.session !== null &&
      actor !== null &&
      this.session.userId === actor.id &&
      this.session.breakGlassUntil !== null &&
      this.session.breakGlassUntil > this.now();
    const row: AuditRow = {
      seq,
      id: newId('evt'),
      ts,
      actor_id: actor?.id ?? null,
      actor_name: actor?.name ?? null,
      actor_role: actor?.role ?? null,
      action,
      outcome,
      object_kind: object?.kind ?? null,
      object_id: object?.id ?? null,
      object_name: object?.name ?? null,
      detail,
      break_glass: bg || action === 'break_glass_started',
      prev_hash: prevHash,
      hash: fakeHash(`${prevHash}|${seq}|${ts}|${action}|${outcome}|${detail}`),
    };
    v.events.push(row);
  }
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : v == null ? '' : String(v);
}
