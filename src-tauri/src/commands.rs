//! Tauri commands: each one locks the workspace and calls one `airlock-app` method.
//! Names and arguments are the contract in docs/COMMANDS.md and ui/src/lib/api/commands.ts.

use airlock_app::json::{
    AgreementDto, AnnotateView, AppStatus, AssignPlan, AssignRequest, AuditFilter, AuditPage,
    AuditSegment, BatchDecision, BatchDto, BatchStatus, CertificateCheckDto, ContactInfo,
    CreatedVault, DeidBatchState, DeidQueueRow, DeidReview, DeidRunReport, DeidSettings,
    DeidSignOff, DeidSpanEdit, DemoInfo, DestroyReport, DestroyRequest, DicomRegion, DicomReview,
    ExportFormat, ExportReport, ExportRequest, ExportResult, IngestPreflight, IngestReport,
    IngestRequest, ItemFilter, ItemPage, MergeReport, PackageDto, ProgressRow, ProjectOverview,
    QualificationDto, QualificationInput, QueueEntry, ReceiptCheck, ReceiptExport,
    RegionTemplateDto, RetentionDto, ReviewDecision, ReviewRow, ReviewView, SaveResult, SchemaDto,
    SchemaInput, SessionInfo, TotpSetup, UserDto, VaultInfo, VaultSummary, VerifyReport,
};
use airlock_app::{AppError, Role, Workspace};
use secrecy::SecretString;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tauri::{AppHandle, Emitter, State};
use tokio::sync::Mutex;

/// The event carrying ingest progress (an `IngestProgress`), at most every 250 ms.
pub const INGEST_PROGRESS_EVENT: &str = "ingest-progress";

/// The one workspace of this window, and the cancel flag of a running ingest (outside
/// the workspace lock, which the ingest holds).
pub struct AppState(Mutex<Workspace>, Arc<AtomicBool>);

impl AppState {
    /// Wraps a workspace.
    pub fn new(ws: Workspace) -> AppState {
        AppState(Mutex::new(ws), Arc::new(AtomicBool::new(false)))
    }
}

type R<T> = Result<T, AppError>;

/// Logs out and closes the vault when the app exits.
pub async fn shutdown(state: &AppState) {
    if let Err(e) = state.0.lock().await.close_vault().await {
        eprintln!(
            "airlock: the session could not be closed cleanly: {}",
            e.message
        );
    }
}

fn secret(s: String) -> SecretString {
    SecretString::from(s)
}

#[tauri::command]
async fn app_status(state: State<'_, AppState>) -> R<AppStatus> {
    Ok(state.0.lock().await.status().await)
}

#[tauri::command]
async fn create_vault(
    state: State<'_, AppState>,
    path: String,
    project_name: String,
    lead_name: String,
    passphrase: String,
) -> R<CreatedVault> {
    let mut ws = state.0.lock().await;
    ws.create_vault(
        &PathBuf::from(path),
        &project_name,
        &lead_name,
        &secret(passphrase),
    )
    .await
}

#[tauri::command]
async fn open_vault(state: State<'_, AppState>, path: String) -> R<VaultSummary> {
    state.0.lock().await.open_vault(&PathBuf::from(path)).await
}

#[tauri::command]
async fn close_vault(state: State<'_, AppState>) -> R<()> {
    state.0.lock().await.close_vault().await
}

#[tauri::command]
async fn create_demo(state: State<'_, AppState>, path: String) -> R<DemoInfo> {
    state.0.lock().await.create_demo(&PathBuf::from(path)).await
}

#[tauri::command]
async fn login(
    state: State<'_, AppState>,
    user_name: String,
    passphrase: String,
    totp_code: Option<String>,
) -> R<SessionInfo> {
    let mut ws = state.0.lock().await;
    ws.login(&user_name, &secret(passphrase), totp_code.as_deref())
        .await
}

#[tauri::command]
async fn logout(state: State<'_, AppState>) -> R<()> {
    state.0.lock().await.logout().await
}

#[tauri::command]
async fn heartbeat(state: State<'_, AppState>) -> R<SessionInfo> {
    Ok(state.0.lock().await.active().await?.info())
}

#[tauri::command]
async fn session_status(state: State<'_, AppState>) -> R<Option<SessionInfo>> {
    Ok(state.0.lock().await.session_status().await)
}

#[tauri::command]
async fn vault_info(state: State<'_, AppState>) -> R<VaultInfo> {
    state.0.lock().await.active().await?.vault_info().await
}

#[tauri::command]
async fn list_users(state: State<'_, AppState>) -> R<Vec<UserDto>> {
    state.0.lock().await.active().await?.list_users().await
}

#[tauri::command]
async fn add_user(
    state: State<'_, AppState>,
    name: String,
    role: Role,
    passphrase: String,
) -> R<UserDto> {
    state
        .0
        .lock()
        .await
        .active()
        .await?
        .add_user(&name, role, &secret(passphrase))
        .await
}

#[tauri::command]
async fn disable_user(state: State<'_, AppState>, name: String) -> R<()> {
    state
        .0
        .lock()
        .await
        .active()
        .await?
        .disable_user(&name)
        .await
}

#[tauri::command]
async fn unlock_user(state: State<'_, AppState>, name: String) -> R<()> {
    state
        .0
        .lock()
        .await
        .active()
        .await?
        .unlock_user(&name)
        .await
}

#[tauri::command]
async fn change_passphrase(state: State<'_, AppState>, current: String, next: String) -> R<()> {
    let mut ws = state.0.lock().await;
    ws.active()
        .await?
        .change_passphrase(&secret(current), &secret(next))
        .await
}

#[tauri::command]
async fn totp_begin(state: State<'_, AppState>) -> R<TotpSetup> {
    state.0.lock().await.active().await?.totp_begin().await
}

#[tauri::command]
async fn totp_confirm(state: State<'_, AppState>, code: String) -> R<()> {
    state
        .0
        .lock()
        .await
        .active()
        .await?
        .totp_confirm(&code)
        .await
}

#[tauri::command]
async fn totp_disable(state: State<'_, AppState>, code: String) -> R<()> {
    state
        .0
        .lock()
        .await
        .active()
        .await?
        .totp_disable(&code)
        .await
}

#[tauri::command]
async fn start_break_glass(
    state: State<'_, AppState>,
    reason: String,
    minutes: u32,
) -> R<SessionInfo> {
    state
        .0
        .lock()
        .await
        .active()
        .await?
        .start_break_glass(&reason, minutes)
        .await
}

#[tauri::command]
async fn audit_query(state: State<'_, AppState>, filter: AuditFilter) -> R<AuditPage> {
    state
        .0
        .lock()
        .await
        .active()
        .await?
        .audit_query(&filter)
        .await
}

#[tauri::command]
async fn audit_segment(state: State<'_, AppState>, merge_seq: i64) -> R<AuditSegment> {
    state
        .0
        .lock()
        .await
        .active()
        .await?
        .audit_segment(merge_seq)
        .await
}

#[tauri::command]
async fn audit_verify(state: State<'_, AppState>) -> R<VerifyReport> {
    state.0.lock().await.active().await?.audit_verify().await
}

#[tauri::command]
async fn audit_export(
    state: State<'_, AppState>,
    format: ExportFormat,
    path: String,
) -> R<ExportResult> {
    let mut ws = state.0.lock().await;
    ws.active()
        .await?
        .audit_export(format, &PathBuf::from(path))
        .await
}

#[tauri::command]
async fn ingest_preflight(
    state: State<'_, AppState>,
    request: IngestRequest,
) -> R<IngestPreflight> {
    state
        .0
        .lock()
        .await
        .active()
        .await?
        .ingest_preflight(&request)
        .await
}

#[tauri::command]
async fn ingest_start(
    app: AppHandle,
    state: State<'_, AppState>,
    request: IngestRequest,
) -> R<IngestReport> {
    let cancel = state.1.clone();
    cancel.store(false, Ordering::Relaxed);
    let mut ws = state.0.lock().await;
    let progress = move |p| {
        let _ = app.emit(INGEST_PROGRESS_EVENT, p);
    };
    ws.active().await?.ingest(&request, &progress, cancel).await
}

#[tauri::command]
async fn ingest_cancel(state: State<'_, AppState>) -> R<()> {
    state.1.store(true, Ordering::Relaxed);
    Ok(())
}

#[tauri::command]
async fn list_batches(state: State<'_, AppState>) -> R<Vec<BatchDto>> {
    state.0.lock().await.active().await?.list_batches().await
}

#[tauri::command]
async fn batch_report(state: State<'_, AppState>, batch_id: String) -> R<IngestReport> {
    state
        .0
        .lock()
        .await
        .active()
        .await?
        .batch_report(&batch_id)
        .await
}

#[tauri::command]
async fn decide_batch(
    state: State<'_, AppState>,
    batch_id: String,
    decision: BatchDecision,
    reason: Option<String>,
) -> R<BatchStatus> {
    state
        .0
        .lock()
        .await
        .active()
        .await?
        .decide_batch(&batch_id, decision, reason.as_deref())
        .await
}

#[tauri::command]
async fn export_receipt(
    state: State<'_, AppState>,
    batch_id: String,
    path: String,
) -> R<ReceiptExport> {
    state
        .0
        .lock()
        .await
        .active()
        .await?
        .export_receipt(&batch_id, &PathBuf::from(path))
        .await
}

#[tauri::command]
async fn verify_receipt(path: String) -> R<ReceiptCheck> {
    airlock_app::verify_receipt_file(&PathBuf::from(path))
}

#[tauri::command]
async fn list_items(state: State<'_, AppState>, filter: ItemFilter) -> R<ItemPage> {
    state
        .0
        .lock()
        .await
        .active()
        .await?
        .list_items(&filter)
        .await
}

/// Runs `f` on the active session (one line per command below).
macro_rules! with_session {
    ($state:expr, |$s:ident| $body:expr) => {{
        let mut ws = $state.0.lock().await;
        let $s = ws.active().await?;
        $body.await
    }};
}

#[tauri::command]
async fn deid_run(state: State<'_, AppState>, batch_id: Option<String>) -> R<DeidRunReport> {
    with_session!(state, |s| s.deid_run(batch_id.as_deref()))
}

#[tauri::command]
async fn deid_queue(state: State<'_, AppState>, batch_id: Option<String>) -> R<Vec<DeidQueueRow>> {
    with_session!(state, |s| s.deid_queue(batch_id.as_deref()))
}

#[tauri::command]
async fn deid_review(state: State<'_, AppState>, item_id: String) -> R<DeidReview> {
    with_session!(state, |s| s.deid_review(&item_id))
}

#[tauri::command]
async fn deid_dicom_review(state: State<'_, AppState>, item_id: String) -> R<DicomReview> {
    with_session!(state, |s| s.deid_dicom_review(&item_id))
}

#[tauri::command]
async fn deid_dicom_clean(
    state: State<'_, AppState>,
    item_id: String,
    regions: Vec<DicomRegion>,
) -> R<DicomReview> {
    with_session!(state, |s| s.deid_dicom_clean(&item_id, &regions))
}

#[tauri::command]
async fn region_templates(state: State<'_, AppState>) -> R<Vec<RegionTemplateDto>> {
    with_session!(state, |s| s.region_templates())
}

#[tauri::command]
async fn region_template_save(
    state: State<'_, AppState>,
    item_id: String,
    regions: Vec<DicomRegion>,
) -> R<RegionTemplateDto> {
    with_session!(state, |s| s.region_template_save(&item_id, &regions))
}

#[tauri::command]
async fn region_template_remove(state: State<'_, AppState>, id: String) -> R<()> {
    with_session!(state, |s| s.region_template_remove(&id))
}

#[tauri::command]
async fn deid_revise(
    state: State<'_, AppState>,
    item_id: String,
    spans: Vec<DeidSpanEdit>,
) -> R<DeidReview> {
    with_session!(state, |s| s.deid_revise(&item_id, &spans))
}

#[tauri::command]
async fn deid_validate(state: State<'_, AppState>, item_id: String) -> R<()> {
    with_session!(state, |s| s.deid_validate(&item_id))
}

#[tauri::command]
async fn deid_batch_state(state: State<'_, AppState>, batch_id: String) -> R<DeidBatchState> {
    with_session!(state, |s| s.deid_batch_state(&batch_id))
}

#[tauri::command]
async fn deid_sign_off(state: State<'_, AppState>, batch_id: String) -> R<DeidSignOff> {
    with_session!(state, |s| s.deid_sign_off(&batch_id))
}

#[tauri::command]
async fn deid_settings(state: State<'_, AppState>) -> R<DeidSettings> {
    with_session!(state, |s| s.deid_settings())
}

#[tauri::command]
async fn set_deid_settings(state: State<'_, AppState>, settings: DeidSettings) -> R<()> {
    with_session!(state, |s| s.set_deid_settings(&settings))
}

#[tauri::command]
async fn schema_create(state: State<'_, AppState>, input: SchemaInput) -> R<SchemaDto> {
    with_session!(state, |s| s.schema_create(&input))
}

#[tauri::command]
async fn schema_publish(state: State<'_, AppState>, schema_id: String) -> R<SchemaDto> {
    with_session!(state, |s| s.schema_publish(&schema_id))
}

#[tauri::command]
async fn schema_list(state: State<'_, AppState>) -> R<Vec<SchemaDto>> {
    with_session!(state, |s| s.schema_list())
}

#[tauri::command]
async fn assign_preview(state: State<'_, AppState>, request: AssignRequest) -> R<AssignPlan> {
    with_session!(state, |s| s.assign_preview(&request))
}

#[tauri::command]
async fn assign(state: State<'_, AppState>, request: AssignRequest) -> R<AssignPlan> {
    with_session!(state, |s| s.assign(&request))
}

#[tauri::command]
async fn progress(state: State<'_, AppState>) -> R<Vec<ProgressRow>> {
    with_session!(state, |s| s.progress())
}

#[tauri::command]
async fn my_queue(state: State<'_, AppState>) -> R<Vec<QueueEntry>> {
    with_session!(state, |s| s.my_queue())
}

#[tauri::command]
async fn open_assignment(state: State<'_, AppState>, assignment_id: String) -> R<AnnotateView> {
    with_session!(state, |s| s.open_assignment(&assignment_id))
}

#[tauri::command]
async fn save_annotation(
    state: State<'_, AppState>,
    assignment_id: String,
    value: airlock_app::json::AnnotationValue,
    reason: Option<String>,
) -> R<SaveResult> {
    with_session!(state, |s| s.save_annotation(
        &assignment_id,
        &value,
        reason.as_deref()
    ))
}

/// One frame of an assignment's image as raw bytes (little-endian 16-bit samples): an
/// `ArrayBuffer` in the page, not a JSON array.
#[tauri::command]
async fn assignment_frame(
    state: State<'_, AppState>,
    assignment_id: String,
    frame: u32,
) -> R<tauri::ipc::Response> {
    let bytes = with_session!(state, |s| s.assignment_frame(&assignment_id, frame))?;
    Ok(tauri::ipc::Response::new(bytes))
}

/// One page of a schema version's guideline PDF, as PNG bytes.
#[tauri::command]
async fn guideline_page(
    state: State<'_, AppState>,
    schema_id: String,
    page: u32,
) -> R<tauri::ipc::Response> {
    let bytes = with_session!(state, |s| s.guideline_page(&schema_id, page))?;
    Ok(tauri::ipc::Response::new(bytes))
}

/// One frame of an image under review, as raw bytes like `assignment_frame`.
#[tauri::command]
async fn review_frame(
    state: State<'_, AppState>,
    item_id: String,
    schema_id: String,
    frame: u32,
) -> R<tauri::ipc::Response> {
    let bytes = with_session!(state, |s| s.review_frame(&item_id, &schema_id, frame))?;
    Ok(tauri::ipc::Response::new(bytes))
}

#[tauri::command]
async fn submit_annotation(state: State<'_, AppState>, assignment_id: String) -> R<()> {
    with_session!(state, |s| s.submit_annotation(&assignment_id))
}

#[tauri::command]
async fn review_queue(state: State<'_, AppState>) -> R<Vec<ReviewRow>> {
    with_session!(state, |s| s.review_queue())
}

#[tauri::command]
async fn review_item(
    state: State<'_, AppState>,
    item_id: String,
    schema_id: String,
) -> R<ReviewView> {
    with_session!(state, |s| s.review_item(&item_id, &schema_id))
}

#[tauri::command]
async fn review_decide(
    state: State<'_, AppState>,
    item_id: String,
    schema_id: String,
    decision: ReviewDecision,
) -> R<()> {
    with_session!(state, |s| s.review_decide(&item_id, &schema_id, &decision))
}

#[tauri::command]
async fn agreement(state: State<'_, AppState>, schema_id: String) -> R<AgreementDto> {
    with_session!(state, |s| s.agreement(&schema_id))
}

#[tauri::command]
async fn export_deliverable(state: State<'_, AppState>, request: ExportRequest) -> R<ExportReport> {
    with_session!(state, |s| s.export_deliverable(&request))
}

#[tauri::command]
async fn add_qualification(state: State<'_, AppState>, input: QualificationInput) -> R<()> {
    with_session!(state, |s| s.add_qualification(&input))
}

#[tauri::command]
async fn qualifications(state: State<'_, AppState>) -> R<Vec<QualificationDto>> {
    with_session!(state, |s| s.qualifications())
}

#[tauri::command]
async fn project_overview(state: State<'_, AppState>) -> R<ProjectOverview> {
    with_session!(state, |s| s.project_overview())
}

#[tauri::command]
async fn retention(state: State<'_, AppState>) -> R<RetentionDto> {
    with_session!(state, |s| s.retention())
}

#[tauri::command]
async fn set_retention(state: State<'_, AppState>, date: String, rule: Option<String>) -> R<()> {
    with_session!(state, |s| s.set_retention(&date, rule.as_deref()))
}

#[tauri::command]
async fn destroy_vault(
    state: State<'_, AppState>,
    request: DestroyRequest,
    passphrase: String,
) -> R<DestroyReport> {
    state
        .0
        .lock()
        .await
        .destroy(&request, &secret(passphrase))
        .await
}

#[tauri::command]
async fn verify_certificate(path: String, audit: Option<String>) -> R<CertificateCheckDto> {
    airlock_app::verify_certificate_file(&PathBuf::from(path), audit.map(PathBuf::from).as_deref())
}

#[tauri::command]
async fn create_workspace_vault(
    state: State<'_, AppState>,
    path: String,
    user_name: String,
    passphrase: String,
) -> R<CreatedVault> {
    let mut ws = state.0.lock().await;
    ws.create_workspace_vault(&PathBuf::from(path), &user_name, &secret(passphrase))
        .await
}

#[tauri::command]
async fn contact_export(state: State<'_, AppState>, out: String) -> R<ContactInfo> {
    with_session!(state, |s| s.contact_export(&PathBuf::from(&out)))
}

#[tauri::command]
async fn contact_import(
    state: State<'_, AppState>,
    user: Option<String>,
    path: String,
) -> R<ContactInfo> {
    with_session!(state, |s| s
        .contact_import_file(user.as_deref(), &PathBuf::from(&path)))
}

#[tauri::command]
async fn package_trust_lead(state: State<'_, AppState>, path: String) -> R<ContactInfo> {
    with_session!(state, |s| s.package_trust_lead(&PathBuf::from(&path)))
}

#[tauri::command]
async fn package_assign(
    state: State<'_, AppState>,
    to: String,
    out: String,
    days: u32,
) -> R<PackageDto> {
    with_session!(state, |s| s.package_assign(&to, &PathBuf::from(&out), days))
}

#[tauri::command]
async fn package_open(state: State<'_, AppState>, path: String) -> R<PackageDto> {
    with_session!(state, |s| s.package_open(&PathBuf::from(&path)))
}

#[tauri::command]
async fn package_return(
    state: State<'_, AppState>,
    package: Option<String>,
    out: String,
) -> R<PackageDto> {
    with_session!(state, |s| s
        .package_return(package.as_deref(), &PathBuf::from(&out)))
}

#[tauri::command]
async fn package_merge(state: State<'_, AppState>, path: String) -> R<MergeReport> {
    with_session!(state, |s| s.package_merge(&PathBuf::from(&path)))
}

#[tauri::command]
async fn package_revoke(state: State<'_, AppState>, id: String, reason: String) -> R<PackageDto> {
    with_session!(state, |s| s.package_revoke(&id, &reason))
}

#[tauri::command]
async fn package_list(state: State<'_, AppState>) -> R<Vec<PackageDto>> {
    with_session!(state, |s| s.package_list())
}

/// The invoke handler listing every command.
pub fn handler() -> impl Fn(tauri::ipc::Invoke) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        app_status,
        create_vault,
        open_vault,
        close_vault,
        create_demo,
        login,
        logout,
        heartbeat,
        session_status,
        vault_info,
        list_users,
        add_user,
        disable_user,
        unlock_user,
        change_passphrase,
        totp_begin,
        totp_confirm,
        totp_disable,
        start_break_glass,
        audit_query,
        audit_segment,
        audit_verify,
        audit_export,
        ingest_preflight,
        ingest_start,
        ingest_cancel,
        list_batches,
        batch_report,
        decide_batch,
        export_receipt,
        verify_receipt,
        list_items,
        deid_run,
        deid_queue,
        deid_review,
        deid_revise,
        guideline_page,
        deid_dicom_review,
        deid_dicom_clean,
        region_templates,
        region_template_save,
        region_template_remove,
        deid_validate,
        deid_batch_state,
        deid_sign_off,
        deid_settings,
        set_deid_settings,
        schema_create,
        schema_publish,
        schema_list,
        assign_preview,
        assign,
        progress,
        my_queue,
        open_assignment,
        save_annotation,
        assignment_frame,
        review_frame,
        submit_annotation,
        review_queue,
        review_item,
        review_decide,
        agreement,
        export_deliverable,
        add_qualification,
        qualifications,
        project_overview,
        retention,
        set_retention,
        destroy_vault,
        verify_certificate,
        create_workspace_vault,
        contact_export,
        contact_import,
        package_trust_lead,
        package_assign,
        package_open,
        package_return,
        package_merge,
        package_revoke,
        package_list,
    ]
}
