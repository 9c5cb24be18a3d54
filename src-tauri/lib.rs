//! The warroom desktop shell: a Tauri window over the core library.
//!
//! It only wires. The core's runtime runs on a task of its own and each update is pushed to the
//! window ([`push`]); each user action is one thin command over a core call ([`commands`],
//! listed once in `commands/list.rs`); what the window reads over and over comes over a protocol
//! of its own ([`read`]); errors cross as `{ code, message }` ([`state`]). No rule
//! of the war room lives here: the CLI does everything the window does, through the same core.

pub mod commands;
#[cfg(target_os = "linux")]
pub mod memory;
pub mod push;
pub mod read;
pub mod state;

pub use state::{AppState, IpcError, Settings};

include!("commands/list.rs");

macro_rules! handlers {
    ($($module:ident :: $name:ident),* $(,)?) => {
        tauri::generate_handler![$(commands::$module::$name),*]
    };
}

/// The app on `builder`: its state, its commands, and the runtime's task once it is set up.
pub fn app<R: tauri::Runtime>(builder: tauri::Builder<R>, state: AppState) -> tauri::Builder<R> {
    let task = state.clone();
    #[cfg(target_os = "linux")]
    let gpu = state.gpu;
    read::register(builder).manage(state).invoke_handler(commands!(handlers)).setup(move |app| {
        push::spawn(app.handle().clone(), task);
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        memory::give_back_freed_memory();
        #[cfg(target_os = "linux")]
        draw_as_one_page(app, gpu);
        #[cfg(target_os = "linux")]
        reload_when_the_page_dies(app);
        Ok(())
    })
}

/// Tells WebKit the window shows one local page, not the web, drawn without the GPU.
///
/// Its cache model is then a document viewer's (no back-forward cache, no dead resources kept in
/// memory, no disk cache) instead of a browser's, which keeps what pages it left used, up to a
/// share of the machine's memory. The page loads nothing but its own bundle and the charts' data
/// URLs, so there is nothing to lose (alone it made no difference that could be measured).
///
/// And its hardware acceleration is off: WebKit paints the page on the CPU and hands the window
/// a bitmap, instead of compositing its layers with OpenGL. Without a GPU (Xvfb, a VM, a remote
/// desktop) OpenGL is Mesa's software renderer, and that path was most of the window's memory
/// and all of its crashes: side by side on a recorded ×60 drill for five minutes (`RECORD=1
/// DURATION=300 benches/soak.sh`), WebKit's processes held 230-247 MB composited and 87-100 MB
/// painted (the app 4 MB more: the page's bitmap is in its process), and the composited web
/// process crashed in `swrast_dri.so` as it had once an hour or two in every soak (stop 22).
/// With a GPU the compositor's memory is the GPU's, but its drivers are where WebKitGTK's blank
/// and crashing windows come from (Evolution and Eclipse turn it off for that). The window is
/// text, a graph of a few dozen nodes and small charts: the CPU draws it well within a frame
/// (`benches/idle.sh`, the drill at ×4: 2.9 % of a core painted, 2.2 % composited by Mesa).
/// Over 36 minutes of the recorded soak the app and WebKit held 153 → 164 MB (medians of the
/// 10th-15th and 31st-36th minutes), where composited they held 307 → 325 MB over the hour.
/// With `gpu` (`WARROOM_GPU=1`, for a machine whose GPU serves WebKit well), WebKit decides.
#[cfg(target_os = "linux")]
fn draw_as_one_page<R: tauri::Runtime>(app: &tauri::App<R>, gpu: bool) {
    use webkit2gtk::{CacheModel, HardwareAccelerationPolicy, SettingsExt, WebContextExt, WebViewExt};

    with_main_webview(app, "set how the window is drawn", move |view| {
        if let Some(context) = view.context() {
            context.set_cache_model(CacheModel::DocumentViewer);
        }
        if let Some(settings) = WebViewExt::settings(&view).filter(|_| !gpu) {
            settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
        }
    });
}

/// Runs `f` on the main window's WebKit view, on GTK's thread; a warning says what could not
/// be done (`doing`) when it cannot.
#[cfg(target_os = "linux")]
fn with_main_webview<R: tauri::Runtime>(
    app: &tauri::App<R>,
    doing: &str,
    f: impl FnOnce(webkit2gtk::WebView) + Send + 'static,
) {
    use tauri::Manager;

    let Some(window) = app.get_webview_window("main") else { return };
    if let Err(e) = window.with_webview(move |platform| f(platform.inner())) {
        tracing::warn!("cannot {doing}: {e}");
    }
}

/// The most times the page is loaded again after its web process died within [`CRASH_SPAN`]:
/// a page that dies as soon as it is drawn (a broken graphics driver) is not reloaded forever.
#[cfg(target_os = "linux")]
const CRASHES_RELOADED: usize = 3;

/// See [`CRASHES_RELOADED`].
#[cfg(target_os = "linux")]
const CRASH_SPAN: std::time::Duration = std::time::Duration::from_secs(60);

/// Loads the page again when WebKit's web process, which draws it, dies. Nothing else would:
/// the window stays blank, and says nothing, while the core records on. This was seen in an
/// hour's soak of a ×60 drill under Xvfb: after 24 minutes WebKit's compositor thread crashed in
/// Mesa's software renderer (`swrast_dri.so`), and the window was empty from then on. Everything
/// the page shows comes from the core and a note being typed is kept in the page's local storage
/// (`restoreDraft`), so a reload brings the window back as it was.
#[cfg(target_os = "linux")]
fn reload_when_the_page_dies<R: tauri::Runtime>(app: &tauri::App<R>) {
    use std::{
        cell::{Cell, RefCell},
        collections::VecDeque,
        rc::Rc,
        time::Instant,
    };
    use webkit2gtk::{LoadEvent, WebViewExt};

    with_main_webview(app, "watch the window's web process", |view| {
        let crashes = Rc::new(RefCell::new(VecDeque::<Instant>::new()));
        let reloading = Rc::new(Cell::new(false));
        let (seen, told) = (crashes.clone(), reloading.clone());
        view.connect_web_process_terminated(move |webview, reason| {
            let mut crashes = seen.borrow_mut();
            let now = Instant::now();
            crashes.retain(|at| now.duration_since(*at) < CRASH_SPAN);
            if crashes.len() >= CRASHES_RELOADED {
                tracing::error!(
                    "the window's web process ended again ({reason:?}), {CRASHES_RELOADED} times within a minute: \
                     not reloading; the log and the CLI still work"
                );
                return;
            }
            crashes.push_back(now);
            tracing::warn!("the window's web process ended ({reason:?}); loading the page again");
            told.set(true);
            webview.reload();
        });
        view.connect_load_changed(move |_, event| {
            if event == LoadEvent::Finished && reloading.replace(false) {
                tracing::info!("the window's page is loaded again");
            }
        });
    });
}

/// Opens the window, as the environment says (`WARROOM_DB`, `WARROOM_CONFIG`, ...).
pub fn run() {
    use tracing_subscriber::EnvFilter;
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_env("WARROOM_LOG").unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .init();
    // Before the window's web context is made (the settings are given to its constructor).
    // `WARROOM_WEB_MEMORY=keep` leaves WebKit's defaults (to compare, or should its release
    // ever cost more than it gives): see `memory::release_web_memory`.
    #[cfg(target_os = "linux")]
    if std::env::var_os("WARROOM_WEB_MEMORY").is_none_or(|v| v != "keep")
        && let Err(e) = memory::release_web_memory(memory::WEB_MEMORY)
    {
        tracing::warn!("WebKit's web process will keep what it frees: {e}");
    }
    let builder = tauri::Builder::default()
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_opener::init());
    let result = app(builder, AppState::from_env()).run(tauri::generate_context!());
    if let Err(err) = result {
        tracing::error!("warroom could not start its window: {err:#}");
        std::process::exit(1);
    }
}
