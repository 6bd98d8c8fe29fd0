// One typed wrapper per backend command (docs/COMMANDS.md). Each calls `invoke` exactly once;
// argument keys are camelCase (Tauri maps them to the Rust snake_case names).
import type { IBackend } from './backend';
import type {
  AppStatus,
  ContactInfo,
  MergeReport,
  PackageDto,
  AuditFilter,
  AuditPage,
  AuditSegment,
  BatchDecision,
  BatchDto,
  BatchStatus,
  AgreementDto,
  AnnotateView,
  AnnotationValue,
  AssignPlan,
  AssignRequest,
  ProgressRow,
  QueueEntry,
  ReviewDecision,
  ReviewRow,
  ReviewView,
  SaveResult,
  SchemaDto,
  SchemaInput,
  CertificateCheckDto,
  DestroyReport,
  DestroyRequest,
  ExportReport,
  ExportRequest,
  QualificationDto,
  QualificationInput,
  ProjectOverview,
  RegionTemplateDto,
  RetentionDto,
  CreatedVault,
  DeidBatchState,
  DeidQueueRow,
  DeidReview,
  DeidRunReport,
  DeidSettings,
  DeidSignOff,
  DeidSpanEdit,
  DicomRegion,
  DicomReview,
  DemoInfo,
  ExportFormat,
  ExportResult,
  IngestPreflight,
  IngestProgress,
  IngestReport,
  IngestRequest,
  ItemFilter,
  ItemPage,
  ReceiptCheck,
  ReceiptExport,
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

/** The workspace events the `package_merged` event at `mergeSeq` brought in. */
export function auditSegment(mergeSeq: number): Promise<AuditSegment> {
  return call<AuditSegment>('audit_segment', { mergeSeq });
}

export function auditVerify(): Promise<VerifyReport> {
  return call<VerifyReport>('audit_verify');
}

export function auditExport(format: ExportFormat, path: string): Promise<ExportResult> {
  return call<ExportResult>('audit_export', { format, path });
}

// ---- receiving data (lead) ----

/** What a source holds, before anything is read or stored. */
export function ingestPreflight(request: IngestRequest): Promise<IngestPreflight> {
  return call<IngestPreflight>('ingest_preflight', { request });
}

/** Receives a delivery; progress arrives through `onIngestProgress`. */
export function ingestStart(request: IngestRequest): Promise<IngestReport> {
  return call<IngestReport>('ingest_start', { request });
}

/** Stops a running ingest after the files in flight; a rerun resumes. */
export function ingestCancel(): Promise<null> {
  return call<null>('ingest_cancel');
}

/** Subscribes to ingest progress; resolves to an unsubscribe function. */
export function onIngestProgress(handler: (p: IngestProgress) => void): Promise<() => void> {
  return getBackend().listen<IngestProgress>('ingest-progress', handler);
}

export function listBatches(): Promise<BatchDto[]> {
  return call<BatchDto[]>('list_batches');
}

export function batchReport(batchId: string): Promise<IngestReport> {
  return call<IngestReport>('batch_report', { batchId });
}

export function decideBatch(
  batchId: string,
  decision: BatchDecision,
  reason: string | null,
): Promise<BatchStatus> {
  return call<BatchStatus>('decide_batch', { batchId, decision, reason });
}

export function exportReceipt(batchId: string, path: string): Promise<ReceiptExport> {
  return call<ReceiptExport>('export_receipt', { batchId, path });
}

export function verifyReceipt(path: string): Promise<ReceiptCheck> {
  return call<ReceiptCheck>('verify_receipt', { path });
}

export function listItems(filter: ItemFilter): Promise<ItemPage> {
  return call<ItemPage>('list_items', { filter });
}

// ---- de-identification (lead) ----

export function deidRun(batchId: string | null): Promise<DeidRunReport> {
  return call<DeidRunReport>('deid_run', { batchId });
}

export function deidQueue(batchId: string | null): Promise<DeidQueueRow[]> {
  return call<DeidQueueRow[]>('deid_queue', { batchId });
}

/** The original beside its de-identified text; every call is audited. */
export function deidReview(itemId: string): Promise<DeidReview> {
  return call<DeidReview>('deid_review', { itemId });
}

export function deidRevise(itemId: string, spans: DeidSpanEdit[]): Promise<DeidReview> {
  return call<DeidReview>('deid_revise', { itemId, spans });
}

export function deidDicomReview(itemId: string): Promise<DicomReview> {
  return call<DicomReview>('deid_dicom_review', { itemId });
}

export function deidDicomClean(itemId: string, regions: DicomRegion[]): Promise<DicomReview> {
  return call<DicomReview>('deid_dicom_clean', { itemId, regions });
}

export function regionTemplates(): Promise<RegionTemplateDto[]> {
  return call<RegionTemplateDto[]>('region_templates');
}

export function regionTemplateSave(itemId: string, regions: DicomRegion[]): Promise<RegionTemplateDto> {
  return call<RegionTemplateDto>('region_template_save', { itemId, regions });
}

export function regionTemplateRemove(id: string): Promise<null> {
  return call<null>('region_template_remove', { id });
}

export function deidValidate(itemId: string): Promise<null> {
  return call<null>('deid_validate', { itemId });
}

export function deidBatchState(batchId: string): Promise<DeidBatchState> {
  return call<DeidBatchState>('deid_batch_state', { batchId });
}

export function deidSignOff(batchId: string): Promise<DeidSignOff> {
  return call<DeidSignOff>('deid_sign_off', { batchId });
}

export function deidSettings(): Promise<DeidSettings> {
  return call<DeidSettings>('deid_settings');
}

export function setDeidSettings(settings: DeidSettings): Promise<null> {
  return call<null>('set_deid_settings', { settings });
}

// ---- labelling and review ----

export function schemaCreate(input: SchemaInput): Promise<SchemaDto> {
  return call<SchemaDto>('schema_create', { input });
}

export function schemaPublish(schemaId: string): Promise<SchemaDto> {
  return call<SchemaDto>('schema_publish', { schemaId });
}

export function schemaList(): Promise<SchemaDto[]> {
  return call<SchemaDto[]>('schema_list');
}

export function assignPreview(request: AssignRequest): Promise<AssignPlan> {
  return call<AssignPlan>('assign_preview', { request });
}

export function assign(request: AssignRequest): Promise<AssignPlan> {
  return call<AssignPlan>('assign', { request });
}

export function progress(): Promise<ProgressRow[]> {
  return call<ProgressRow[]>('progress');
}

export function myQueue(): Promise<QueueEntry[]> {
  return call<QueueEntry[]>('my_queue');
}

export function openAssignment(assignmentId: string): Promise<AnnotateView> {
  return call<AnnotateView>('open_assignment', { assignmentId });
}

export function saveAnnotation(assignmentId: string, value: AnnotationValue, reason: string | null): Promise<SaveResult> {
  return call<SaveResult>('save_annotation', { assignmentId, value, reason });
}

/** One frame (from 0) of an assignment's image: little-endian 16-bit stored values (see ImageInfo). */
export function assignmentFrame(assignmentId: string, frame: number): Promise<ArrayBuffer> {
  return call<ArrayBuffer>('assignment_frame', { assignmentId, frame });
}

/** One page (from 0) of a schema version's guideline PDF, as PNG bytes. */
export function guidelinePage(schemaId: string, page: number): Promise<ArrayBuffer> {
  return call<ArrayBuffer>('guideline_page', { schemaId, page });
}

/** One frame (from 0) of an image under review, like assignmentFrame. */
export function reviewFrame(itemId: string, schemaId: string, frame: number): Promise<ArrayBuffer> {
  return call<ArrayBuffer>('review_frame', { itemId, schemaId, frame });
}

export function submitAnnotation(assignmentId: string): Promise<null> {
  return call<null>('submit_annotation', { assignmentId });
}

export function reviewQueue(): Promise<ReviewRow[]> {
  return call<ReviewRow[]>('review_queue');
}

export function reviewItem(itemId: string, schemaId: string): Promise<ReviewView> {
  return call<ReviewView>('review_item', { itemId, schemaId });
}

export function reviewDecide(itemId: string, schemaId: string, decision: ReviewDecision): Promise<null> {
  return call<null>('review_decide', { itemId, schemaId, decision });
}

export function agreement(schemaId: string): Promise<AgreementDto> {
  return call<AgreementDto>('agreement', { schemaId });
}

// ---- delivery, retention, destruction ----

export function exportDeliverable(request: ExportRequest): Promise<ExportReport> {
  return call<ExportReport>('export_deliverable', { request });
}

export function addQualification(input: QualificationInput): Promise<null> {
  return call<null>('add_qualification', { input });
}

export function qualifications(): Promise<QualificationDto[]> {
  return call<QualificationDto[]>('qualifications');
}

export function projectOverview(): Promise<ProjectOverview> {
  return call<ProjectOverview>('project_overview');
}

export function retention(): Promise<RetentionDto> {
  return call<RetentionDto>('retention');
}

export function setRetention(date: string, rule: string | null): Promise<null> {
  return call<null>('set_retention', { date, rule });
}

export function destroyVault(request: DestroyRequest, passphrase: string): Promise<DestroyReport> {
  return call<DestroyReport>('destroy_vault', { request, passphrase });
}

export function verifyCertificate(path: string, audit: string | null): Promise<CertificateCheckDto> {
  return call<CertificateCheckDto>('verify_certificate', { path, audit });
}

// ---- work packages between laptops ----

export function createWorkspaceVault(path: string, userName: string, passphrase: string): Promise<CreatedVault> {
  return call<CreatedVault>('create_workspace_vault', { path, userName, passphrase });
}

export function contactExport(out: string): Promise<ContactInfo> {
  return call<ContactInfo>('contact_export', { out });
}

export function contactImport(user: string | null, path: string): Promise<ContactInfo> {
  return call<ContactInfo>('contact_import', { user, path });
}

export function packageTrustLead(path: string): Promise<ContactInfo> {
  return call<ContactInfo>('package_trust_lead', { path });
}

export function packageAssign(to: string, out: string, days: number): Promise<PackageDto> {
  return call<PackageDto>('package_assign', { to, out, days });
}

export function packageOpen(path: string): Promise<PackageDto> {
  return call<PackageDto>('package_open', { path });
}

export function packageReturn(pkg: string | null, out: string): Promise<PackageDto> {
  return call<PackageDto>('package_return', { package: pkg, out });
}

export function packageMerge(path: string): Promise<MergeReport> {
  return call<MergeReport>('package_merge', { path });
}

export function packageRevoke(id: string, reason: string): Promise<PackageDto> {
  return call<PackageDto>('package_revoke', { id, reason });
}

export function packageList(): Promise<PackageDto[]> {
  return call<PackageDto[]>('package_list');
}
