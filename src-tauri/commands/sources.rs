//! The sources view: what is configured (never a secret's value) and "test connection".

use serde::Serialize;
use tauri::State;
use warroom::config::Auth;

use crate::error::IpcError;
use crate::state::AppState;

/// A configured source as the window lists it. Secrets appear only by the variable naming them.
#[derive(Debug, Serialize)]
pub struct SourceInfo {
    name: String,
    kind: String,
    url: String,
    interval_secs: f64,
    timeout_secs: f64,
    auth: String,
}

/// The outcome of a connection test.
#[derive(Debug, Serialize)]
pub struct SourceTest {
    ok: bool,
    millis: u128,
    message: String,
}

#[tauri::command(async)]
pub fn sources_config(state: State<'_, AppState>) -> Result<Vec<SourceInfo>, IpcError> {
    let Some(config) = state.config() else { return Ok(Vec::new()) };
    Ok(config
        .sources
        .iter()
        .map(|s| SourceInfo {
            name: s.name.clone(),
            kind: format!("{:?}", s.kind).to_lowercase(),
            url: s.url.clone(),
            interval_secs: s.interval.as_secs_f64(),
            timeout_secs: s.timeout.as_secs_f64(),
            auth: match &s.auth {
                Auth::None => "none".to_owned(),
                Auth::Bearer(secret) => format!("bearer token from {secret}"),
                Auth::Basic { user, password } => format!("basic, user {user}, password from {password}"),
                Auth::Aws(aws) => format!(
                    "AWS SigV4 ({}), keys from {} and {}",
                    aws.region, aws.access_key_id, aws.secret_access_key
                ),
            },
        })
        .collect())
}

/// One request to the source, now; answers within the source's timeout.
#[tauri::command]
pub async fn test_source(state: State<'_, AppState>, name: String) -> Result<SourceTest, IpcError> {
    let live = state.live().ok_or_else(|| IpcError::new("no_sources", "no sources are configured"))?;
    let started = std::time::Instant::now();
    Ok(match live.test_source(&name).await {
        Ok(took) => SourceTest { ok: true, millis: took.as_millis(), message: "answers".to_owned() },
        Err(message) => SourceTest { ok: false, millis: started.elapsed().as_millis(), message },
    })
}

/// Opens the node's signals in Grafana Explore, in the system browser. The URL is made here from
/// the configuration (the window cannot open arbitrary addresses); it is returned too.
#[tauri::command(async)]
pub fn open_in_grafana(state: State<'_, AppState>, node: String) -> Result<String, IpcError> {
    use tauri_plugin_opener::OpenerExt;
    let config = state.config().ok_or_else(|| IpcError::new("no_sources", "no sources are configured"))?;
    let grafana = config
        .grafana
        .as_ref()
        .ok_or_else(|| IpcError::new("no_grafana", "no [grafana] url is configured in warroom.toml"))?;
    let prometheus: Vec<&str> = config
        .sources
        .iter()
        .filter(|s| s.kind == warroom::config::SourceKind::Prometheus)
        .map(|s| s.name.as_str())
        .collect();
    let queries: Vec<&str> = config
        .signals
        .iter()
        .filter(|s| prometheus.contains(&s.source.as_str()))
        .map(|s| s.query.as_str())
        .collect();
    let url = grafana.explore_url(&queries);
    tracing::info!("opening {node}'s signals in Grafana Explore");
    if let Some(app) = state.app.get()
        && let Err(e) = app.opener().open_url(&url, None::<&str>)
    {
        return Err(IpcError::new("open", format!("cannot open the browser: {e}")));
    }
    Ok(url)
}

/// The configuration file, as text, for the settings view. It holds no secret: the file may
/// only name where secrets are.
#[derive(Debug, Serialize)]
pub struct ConfigFile {
    path: String,
    text: String,
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
pub fn config_file(state: State<'_, AppState>) -> Result<ConfigFile, IpcError> {
    let path = config_path(&state)?;
    let text = std::fs::read_to_string(&path)
        .map_err(|e| IpcError::new("config", format!("{}: cannot read: {e}", path.display())))?;
    Ok(ConfigFile { path: path.display().to_string(), text })
}

/// Checks the edited configuration as a start would (syntax, keys, topology, secrets); only if
/// it holds is it written (atomically, the previous file kept as `.bak`) and put in use at
/// once. A refused edit changes nothing, and says which line is wrong.
#[tauri::command(async)]
pub fn save_config(state: State<'_, AppState>, text: String) -> Result<ConfigFile, IpcError> {
    let path = config_path(&state)?;
    let config =
        warroom::config::Config::parse(&path, &text).map_err(|e| IpcError::new("config", e.to_string()))?;
    let live = warroom::live::Live::start(&config)
        .map_err(|e| IpcError::new("config", format!("{}: {e}", path.display())))?;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    let write = || -> std::io::Result<()> {
        use std::io::Write;
        let mut file = tempfile::NamedTempFile::new_in(dir)?;
        file.write_all(text.as_bytes())?;
        file.as_file().sync_all()?;
        if path.exists() {
            std::fs::copy(&path, path.with_extension("toml.bak"))?;
        }
        file.persist(&path).map_err(|e| e.error)?;
        Ok(())
    };
    write().map_err(|e| IpcError::new("config", format!("{}: cannot write: {e}", path.display())))?;
    // Live sources replace the drill.
    *crate::drill::lock(&state.drill)? = None;
    state.replace_running(live, config);
    tracing::info!("configuration {} edited in the window and in use", path.display());
    // The incident being recorded gets the new topology, with the health the new sources
    // report, at their first cycle with data: replay draws it from then on.
    if let Some(recorder) = crate::drill::lock(&state.live_incident)?.as_mut() {
        recorder.resnapshot();
    }
    Ok(ConfigFile { path: path.display().to_string(), text })
}
