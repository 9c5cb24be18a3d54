//! The sources view: what is configured (never a secret's value), "test connection", Grafana
//! Explore, and the configuration's text, checked by the core before it is written.

use tauri::{AppHandle, State};
use warroom::config::{ConfigText, SourceInfo};
use warroom::live::SourceTest;

use crate::state::{AppState, IpcError};

#[tauri::command(async)]
pub fn sources_config(state: State<'_, AppState>) -> Vec<SourceInfo> {
    state.runtime.config().map(|c| c.sources.iter().map(|s| s.info()).collect()).unwrap_or_default()
}

/// One request to the source, now; answers within the source's timeout.
#[tauri::command]
pub async fn test_source(state: State<'_, AppState>, name: String) -> Result<SourceTest, IpcError> {
    Ok(state.runtime.test_source(&name).await?)
}

/// Opens the configured signals in Grafana Explore, in the system browser. The address is made
/// from the configuration (the window cannot open arbitrary ones); it is returned too.
#[tauri::command(async)]
pub fn open_in_grafana<R: tauri::Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    node: String,
) -> Result<String, IpcError> {
    let config =
        state.runtime.config().ok_or_else(|| IpcError::new("no_sources", "no sources are configured"))?;
    let url = config
        .explore_url()
        .ok_or_else(|| IpcError::new("no_grafana", "no [grafana] url is configured in warroom.toml"))?;
    tracing::info!("opening {node}'s signals in Grafana Explore");
    crate::state::open_in_browser(&app, &url)?;
    Ok(url)
}

fn config_path(state: &AppState) -> Result<std::path::PathBuf, IpcError> {
    state.config_path.clone().ok_or_else(|| {
        IpcError::new(
            "no_config",
            "warroom runs the drill: start it with WARROOM_CONFIG=FILE to edit a configuration here",
        )
    })
}

#[tauri::command(async)]
pub fn config_file(state: State<'_, AppState>) -> Result<ConfigText, IpcError> {
    let path = config_path(&state)?;
    let text = std::fs::read_to_string(&path)
        .map_err(|e| IpcError::new("config", format!("{}: cannot read: {e}", path.display())))?;
    Ok(ConfigText { path: path.display().to_string(), text })
}

/// Checks the edited configuration as a start would; only if it holds is it written and put in
/// use at once. A refused edit changes nothing, and says which line is wrong.
#[tauri::command(async)]
pub fn save_config(state: State<'_, AppState>, text: String) -> Result<ConfigText, IpcError> {
    let path = config_path(&state)?;
    let saved = state.runtime.save_config(&path, &text)?;
    tracing::info!("configuration {} edited in the window and in use", path.display());
    Ok(saved)
}
