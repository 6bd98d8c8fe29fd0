// Backend command contract types (docs/COMMANDS.md), all generated from the Rust DTOs by
// ts-rs (`cargo test` writes ./bindings/; CI fails when they drift). Every other module
// imports types from here, never from `bindings/` directly.
import type { EventKind } from './bindings/EventKind';
import type { Outcome } from './bindings/Outcome';
import type { Role } from './bindings/Role';
import type { ErrorCode } from './bindings/ErrorCode';
import type { ProblemKind } from './bindings/ProblemKind';
import type { UserStatus } from './bindings/UserStatus';
import type { Verdict } from './bindings/Verdict';

export type { AppError } from './bindings/AppError';
export type { ContactInfo } from './bindings/ContactInfo';
export type { MergeReport } from './bindings/MergeReport';
export type { PackageDirection } from './bindings/PackageDirection';
export type { PackageDto } from './bindings/PackageDto';
export type { PackageStatus } from './bindings/PackageStatus';
export type { CertificateCheckDto } from './bindings/CertificateCheckDto';
export type { DestroyReport } from './bindings/DestroyReport';
export type { DestroyRequest } from './bindings/DestroyRequest';
export type { ExportDto } from './bindings/ExportDto';
export type { ExportReport } from './bindings/ExportReport';
export type { ExportRequest } from './bindings/ExportRequest';
export type { QualificationDto } from './bindings/QualificationDto';
export type { QualificationInput } from './bindings/QualificationInput';
export type { RetentionDto } from './bindings/RetentionDto';
export type { AlertLevel } from './bindings/AlertLevel';
export type { OverviewAlert } from './bindings/OverviewAlert';
export type { ProjectOverview } from './bindings/ProjectOverview';
export type { Stage } from './bindings/Stage';
export type { StageCount } from './bindings/StageCount';
export type { StageState } from './bindings/StageState';
export type { StageSummary } from './bindings/StageSummary';
export type { VerifierInput } from './bindings/VerifierInput';
export type { AgreementDto } from './bindings/AgreementDto';
export type { AnnotateView } from './bindings/AnnotateView';
export type { AnnotationValue } from './bindings/AnnotationValue';
export type { AnnotatorCount } from './bindings/AnnotatorCount';
export type { AssignPlan } from './bindings/AssignPlan';
export type { AssignRequest } from './bindings/AssignRequest';
export type { AssignmentStatus } from './bindings/AssignmentStatus';
export type { BoxLabel } from './bindings/BoxLabel';
export type { ImageInfo } from './bindings/ImageInfo';
export type { ConfusionDto } from './bindings/ConfusionDto';
export type { DiffSummary } from './bindings/DiffSummary';
export type { LabelDef } from './bindings/LabelDef';
export type { LabelFigure } from './bindings/LabelFigure';
export type { MetricDto } from './bindings/MetricDto';
export type { PairFigure } from './bindings/PairFigure';
export type { PolygonLabel } from './bindings/PolygonLabel';
export type { ProgressRow } from './bindings/ProgressRow';
export type { QueueEntry } from './bindings/QueueEntry';
export type { RegionState } from './bindings/RegionState';
export type { ReviewAnnotation } from './bindings/ReviewAnnotation';
export type { ReviewDecision } from './bindings/ReviewDecision';
export type { ReviewRow } from './bindings/ReviewRow';
export type { ReviewView } from './bindings/ReviewView';
export type { SaveResult } from './bindings/SaveResult';
export type { SchemaBody } from './bindings/SchemaBody';
export type { SchemaDto } from './bindings/SchemaDto';
export type { GuidelinePdf } from './bindings/GuidelinePdf';
export type { SchemaInput } from './bindings/SchemaInput';
export type { SchemaStatus } from './bindings/SchemaStatus';
export type { SpanLabel } from './bindings/SpanLabel';
export type { Task } from './bindings/Task';
export type { CategoryCount } from './bindings/CategoryCount';
export type { DeidBatchState } from './bindings/DeidBatchState';
export type { DeidQueueRow } from './bindings/DeidQueueRow';
export type { DeidReview } from './bindings/DeidReview';
export type { DeidRunReport } from './bindings/DeidRunReport';
export type { DeidSettings } from './bindings/DeidSettings';
export type { DeidSignOff } from './bindings/DeidSignOff';
export type { DeidSpan } from './bindings/DeidSpan';
export type { DeidSpanEdit } from './bindings/DeidSpanEdit';
export type { DeidStatus } from './bindings/DeidStatus';
export type { DicomHeaderRow } from './bindings/DicomHeaderRow';
export type { DicomRegion } from './bindings/DicomRegion';
export type { DicomReview } from './bindings/DicomReview';
export type { DeviceModel } from './bindings/DeviceModel';
export type { RegionTemplateDto } from './bindings/RegionTemplateDto';
export type { DeidTextPolicy } from './bindings/DeidTextPolicy';
export type { Algorithm } from './bindings/Algorithm';
export type { BatchDecision } from './bindings/BatchDecision';
export type { BatchDto } from './bindings/BatchDto';
export type { BatchStatus } from './bindings/BatchStatus';
export type { ContentKind } from './bindings/ContentKind';
export type { ExpectedDigest } from './bindings/ExpectedDigest';
export type { ExtensionCount } from './bindings/ExtensionCount';
export type { IngestPreflight } from './bindings/IngestPreflight';
export type { IngestProgress } from './bindings/IngestProgress';
export type { IngestReport } from './bindings/IngestReport';
export type { IngestRequest } from './bindings/IngestRequest';
export type { ItemDto } from './bindings/ItemDto';
export type { ItemFilter } from './bindings/ItemFilter';
export type { ItemPage } from './bindings/ItemPage';
export type { ItemStatus } from './bindings/ItemStatus';
export type { ReceiptCheck } from './bindings/ReceiptCheck';
export type { ReceiptExport } from './bindings/ReceiptExport';
export type { ReportFile } from './bindings/ReportFile';
export type { SourceMode } from './bindings/SourceMode';
export type { Verdict } from './bindings/Verdict';
export type { VerdictCount } from './bindings/VerdictCount';
export type { AppStatus } from './bindings/AppStatus';
export type { AuditFilter } from './bindings/AuditFilter';
export type { AuditPage } from './bindings/AuditPage';
export type { AuditRow } from './bindings/AuditRow';
export type { AuditSegment } from './bindings/AuditSegment';
export type { ChainProblem } from './bindings/ChainProblem';
export type { CreatedVault } from './bindings/CreatedVault';
export type { DemoInfo } from './bindings/DemoInfo';
export type { DemoUser } from './bindings/DemoUser';
export type { ErrorCode } from './bindings/ErrorCode';
export type { EventKind } from './bindings/EventKind';
export type { ExportFormat } from './bindings/ExportFormat';
export type { ExportResult } from './bindings/ExportResult';
export type { KdfInfo } from './bindings/KdfInfo';
export type { Outcome } from './bindings/Outcome';
export type { Policy } from './bindings/Policy';
export type { ProblemKind } from './bindings/ProblemKind';
export type { Role } from './bindings/Role';
export type { SessionInfo } from './bindings/SessionInfo';
export type { TotpSetup } from './bindings/TotpSetup';
export type { UserDto } from './bindings/UserDto';
export type { UserStatus } from './bindings/UserStatus';
export type { VaultInfo } from './bindings/VaultInfo';
export type { VaultSummary } from './bindings/VaultSummary';
export type { VerifyReport } from './bindings/VerifyReport';

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
  ingest_started: true,
  ingest_completed: true,
  ingest_interrupted: true,
  ingest_refused: true,
  ingest_repeated: true,
  batch_released: true,
  batch_aborted: true,
  receipt_exported: true,
  source_items_viewed: true,
  deid_run: true,
  original_viewed: true,
  deid_revised: true,
  deid_validated: true,
  deid_signed_off: true,
  deid_settings_changed: true,
  region_template_saved: true,
  region_template_removed: true,
  schema_created: true,
  schema_published: true,
  items_assigned: true,
  item_viewed: true,
  annotation_changed: true,
  annotation_submitted: true,
  review_decided: true,
  agreement_viewed: true,
  deliverable_exported: true,
  qualification_recorded: true,
  retention_set: true,
  destruction_started: true,
  destruction_refused: true,
  contact_exported: true,
  contact_imported: true,
  package_issued: true,
  package_opened: true,
  package_returned: true,
  package_merged: true,
  package_refused: true,
  package_revoked: true,
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

const VERDICT_SET: Record<Verdict, true> = {
  verified: true,
  baseline: true,
  mismatched: true,
  extra: true,
  empty: true,
  unsupported: true,
  missing: true,
  unreadable: true,
};
/** Every verdict, in report order. */
export const VERDICTS = Object.keys(VERDICT_SET) as readonly Verdict[];
