//! Airlock's desktop shell (Tauri 2): the window, the content-security policy and thin
//! commands that call `airlock-app`. No business logic lives here.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod commands;

use airlock_app::Workspace;
use std::path::PathBuf;
use tauri::Manager;

/// The directory proposed for new vaults: `AIRLOCK_DEFAULT_DIR`, else `~/Airlock`.
fn default_vault_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("AIRLOCK_DEFAULT_DIR") {
        return PathBuf::from(dir);
    }
    std::env::var_os("HOME")
        .map(|h| PathBuf::from(h).join("Airlock"))
        .unwrap_or_else(|| PathBuf::from("Airlock"))
}

/// Builds and runs the desktop app.
pub fn run() {
    airlock_app::init_logging();
    let workspace = Workspace::new(default_vault_dir());
    let app = tauri::Builder::default()
        .manage(commands::AppState::new(workspace))
        .setup(|app| {
            if let Some(window) = app.get_webview_window("main") {
                // Keep screenshots and screen sharing from capturing patient data where
                // the OS supports it (Windows, macOS); a no-op elsewhere.
                let _ = window.set_content_protected(true);
            }
            Ok(())
        })
        .invoke_handler(commands::handler())
        .build(tauri::generate_context!());
    let app = match app {
        Ok(app) => app,
        Err(e) => {
            eprintln!("airlock: the desktop app could not start: {e}");
            std::process::exit(1);
        }
    };
    app.run(|handle, event| {
        if let tauri::RunEvent::Exit = event {
            // Closing the window ends the session properly: the logout (with its
            // duration) is audited, a checkpoint is signed and the keys are dropped.
            let state = handle.state::<commands::AppState>();
            tauri::async_runtime::block_on(commands::shutdown(&state));
        }
    });
}
