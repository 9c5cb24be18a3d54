//! The warroom desktop shell: a Tauri window over the core library.
//!
//! It only wires. The core's runtime runs on a task of its own and each update is pushed to the
//! window ([`push`]); each user action is one thin command over a core call ([`commands`],
//! listed once in `commands/list.rs`); errors cross as `{ code, message }` ([`state`]). No rule
//! of the war room lives here: the CLI does everything the window does, through the same core.

pub mod commands;
pub mod push;
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
    builder.manage(state).invoke_handler(commands!(handlers)).setup(move |app| {
        push::spawn(app.handle().clone(), task);
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        give_back_freed_memory();
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

/// What the window's web process is started with: WebKit starts it with the app's environment,
/// and JavaScriptCore reads its options from `JSC_` variables (`main` sets these unless they are
/// set already). Watched on a ×60 drill (JavaScriptCore's own log, `JSC_logGC=1`, and heap
/// snapshots through the inspector), the page lives on 12 to 14 MB of objects, yet its heap
/// climbed to 90 MB and more before each full collection, ten to twelve minutes apart, and the
/// window's memory drew that sawtooth, higher each time. Each young collection promotes what is
/// alive at that instant (the last push's situation, its strings, its wrappers) and a full one
/// comes only once the old generation has grown by twice the nursery; the nursery is at least
/// 32 MB for a web page (`largeHeapSize`) and, after a full collection, three times what
/// survived it (`heapGrowthMaxIncrease` 3 on a machine of 16 GB and more). With an 8 MB nursery
/// and half a live heap of growth, the heap is collected in full every 20 s or so at ×60 (every
/// third young collection) and stays at 15 to 22 MB; the log's pauses are 2 to 12 ms, as before.
/// What else the window's memory did was WebKit's drawing (hidden, the page grew by nothing):
/// its tiles and Mesa's buffers are large blocks, and glibc's malloc, which raises its mmap
/// threshold to the size of each large block freed, came to keep them on its heaps, where what
/// is freed is not given back. Two recorded ×60 drills side by side for 25 minutes, total MB of
/// app and WebKit at 10 and 24 minutes: 327.1 → 339.5 as it was, 303.3 → 303.1 with the threshold
/// fixed at 128 KiB (`glibc.malloc.mmap_threshold`, read by glibc when a process starts, so it
/// applies to the web process; `main` sets the same for the app itself, [`fix_mmap_threshold`]).
/// Over a full hour of it (`RECORD=1 benches/soak.sh`), the medians of the first and last five
/// minutes after the tenth were 304.7 → 327.1 MB, 25 MB below the hour before (330 → 355) but
/// growing as much: that growth is still to be found. It is not in the large blocks: traced with
/// `perf` (the web process's mmap and munmap over 10 minutes of a recorded ×60 drill), its main
/// thread maps and unmaps some 575 MB of them in that time (Mesa's storage for the layers' tiles,
/// under Xvfb's software renderer), and of those still mapped at the end, 20 of 22 MB had been
/// made in the last two minutes: they churn, they do not pile up. Nor is it glibc's thread
/// arenas: capped at two (`glibc.malloc.arena_max=2`, tried for an hour), nothing changed.
/// Painted on the CPU (`draw_as_one_page`) the churn is gone and the growth stands out:
/// anonymous mappings of 128 KiB to 8 MiB, written to, 49 → 61 MB from the 11th to the 27th
/// minute, while `[heap]` stays at 8 MB and the thread arenas hold 0.2 MB. It is not malloc's
/// live data (`heaptrack -p` on the web process: what was allocated after attaching and not
/// freed is 5.7 MB after 7 minutes and after 12, the same caches refilled) nor new mappings
/// (`perf`, 5 minutes: 12.7 MB mapped and kept, 8 MB of it a thread's stack): regions mapped
/// before are being filled, JavaScriptCore's own (its JIT pool, its heap) the likely ones.
/// Not its optimizing JIT's churn, though that churn is real: with `JSC_reportDFGCompileTimes=1`
/// the page compiles some 160 functions a minute with the DFG, the same 170 again and again
/// (one 12 times in 139 s), as each full collection drops optimized code older than 20 s that is
/// not running. Three recorded ×60 drills side by side for 30 minutes, medians of the 10th-15th
/// and 25th-30th minutes (app + WebKit): as here 152.1 → 157.5 MB (+3.5 %); keeping code alive
/// (`JSC_forceCodeBlockLiveness=1`) 158.9 → 166.4 MB (+4.7 %); the DFG and FTL off 129.3 → 187.0
/// MB (+44.6 %). (The compile log itself crashed the web process three times in five minutes.)
#[cfg(target_os = "linux")]
pub const WEB_PROCESS_ENV: &[(&str, &str)] = &[
    ("JSC_largeHeapSize", "8388608"),
    ("JSC_heapGrowthMaxIncrease", "0.5"),
    ("GLIBC_TUNABLES", "glibc.malloc.mmap_threshold=131072"),
];

/// The mmap threshold [`WEB_PROCESS_ENV`] gives the web process, in bytes.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: libc::c_int = 128 * 1024;

/// Fixes this process's mmap threshold as [`WEB_PROCESS_ENV`] fixes the web process's: blocks of
/// 128 KiB and more are mapped on their own and unmapped when freed. `main` calls it first;
/// false when malloc refused it.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn fix_mmap_threshold() -> bool {
    // SAFETY: `mallopt` only sets one of malloc's parameters, under malloc's own lock; the
    // values are glibc's documented constant and a positive size.
    #[allow(unsafe_code)]
    let done = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD) };
    done != 0
}

/// How often the app gives malloc's free pages back ([`give_back_freed_memory`]).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const TRIM_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// Gives the pages malloc holds free back to the system every [`TRIM_EVERY`]. Traced on a
/// recorded ×60 drill (heaptrack, 13 minutes), the app's live heap ended at 8.2 MB (peak 9.7 MB)
/// while its resident memory grew by 7 MB in an hour: glibc keeps what its threads' arenas free
/// (every poll, push and append allocates and frees) and returns it only on `malloc_trim`, which
/// gave back 2 MB when called by hand after 30 s of the drill. With it, the app still went
/// from 35 to 39 MB over a recorded hour, and stayed flat at 32 MB unrecorded: what is left
/// grows with the incident, not with malloc.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn give_back_freed_memory() {
    tauri::async_runtime::spawn(async {
        let mut ticker = tokio::time::interval(TRIM_EVERY);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            // SAFETY: `malloc_trim` walks malloc's arenas under their locks and releases whole
            // free pages; it reads or writes no memory of ours.
            #[allow(unsafe_code)]
            let trim = || unsafe { libc::malloc_trim(0) };
            if tokio::task::spawn_blocking(trim).await.is_err() {
                return;
            }
        }
    });
}

/// Opens the window, as the environment says (`WARROOM_DB`, `WARROOM_CONFIG`, ...).
pub fn run() {
    use tracing_subscriber::EnvFilter;
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_env("WARROOM_LOG").unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .init();
    let builder = tauri::Builder::default()
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_opener::init());
    let result = app(builder, AppState::from_env()).run(tauri::generate_context!());
    if let Err(err) = result {
        tracing::error!("warroom could not start its window: {err:#}");
        std::process::exit(1);
    }
}
