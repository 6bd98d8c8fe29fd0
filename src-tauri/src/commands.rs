//! Tauri commands: each one locks the workspace and calls one `airlock-app` method.
//! Names and arguments are the contract in docs/COMMANDS.md and ui/src/lib/api/commands.ts.

use airlock_app::json::{
    AppStatus, AuditFilter, AuditPage, CreatedVault, DemoInfo, ExportFormat, ExportResult,
    SessionInfo, TotpSetup, UserDto, VaultInfo, VaultSummary, VerifyReport,
};
use airlock_app::{AppError, Role, Workspace};
use secrecy::SecretString;
use std::path::PathBuf;
use tauri::State;
use tokio::sync::Mutex;

/// The one workspace of this window.
pub struct AppState(Mutex<Workspace>);

impl AppState {
    /// Wraps a workspace.
    pub fn new(ws: Workspace) -> AppState {
        AppState(Mutex::new(ws))
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
        audit_verify,
        audit_export,
    ]
}
