//! What the window's memory is kept within (Linux), through a long night: what WebKit's web
//! process is started with ([`WEB_PROCESS_ENV`]), what WebKit gives back while it runs
//! ([`release_web_memory`]) and malloc's own controls for the app ([`fix_mmap_threshold`],
//! `give_back_freed_memory`). Each is measured by `benches/soak.sh` (issue 17); the figures
//! are in their doc comments.

use std::{
    ffi::{CStr, c_uint, c_void},
    sync::OnceLock,
    time::Duration,
};
use webkit2gtk::{
    ffi,
    glib::{ffi::GType, gobject_ffi as gobject},
};

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
/// What lowers it is WebKit's own release of memory, every 30 s ([`release_web_memory`]).
pub const WEB_PROCESS_ENV: &[(&str, &str)] = &[
    ("JSC_largeHeapSize", "8388608"),
    ("JSC_heapGrowthMaxIncrease", "0.5"),
    ("GLIBC_TUNABLES", "glibc.malloc.mmap_threshold=131072"),
];

/// The mmap threshold [`WEB_PROCESS_ENV`] gives the web process, in bytes.
#[cfg(target_env = "gnu")]
const MMAP_THRESHOLD: libc::c_int = 128 * 1024;

/// Fixes this process's mmap threshold as [`WEB_PROCESS_ENV`] fixes the web process's: blocks of
/// 128 KiB and more are mapped on their own and unmapped when freed. `main` calls it first;
/// false when malloc refused it.
#[cfg(target_env = "gnu")]
pub fn fix_mmap_threshold() -> bool {
    // SAFETY: `mallopt` only sets one of malloc's parameters, under malloc's own lock; the
    // values are glibc's documented constant and a positive size.
    #[allow(unsafe_code)]
    let done = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD) };
    done != 0
}

/// How often the app gives malloc's free pages back ([`give_back_freed_memory`]).
#[cfg(target_env = "gnu")]
const TRIM_EVERY: Duration = Duration::from_secs(30);

/// Gives the pages malloc holds free back to the system every [`TRIM_EVERY`]. Traced on a
/// recorded ×60 drill (heaptrack, 13 minutes), the app's live heap ended at 8.2 MB (peak 9.7 MB)
/// while its resident memory grew by 7 MB in an hour: glibc keeps what its threads' arenas free
/// (every poll, push and append allocates and frees) and returns it only on `malloc_trim`, which
/// gave back 2 MB when called by hand after 30 s of the drill. With it, the app still went
/// from 35 to 39 MB over a recorded hour, and stayed flat at 32 MB unrecorded: what is left
/// grows with the incident, not with malloc.
#[cfg(target_env = "gnu")]
pub(crate) fn give_back_freed_memory() {
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

/// WebKit's memory limit for the window's web process, MB: see [`release_web_memory`].
pub const WEB_MEMORY_LIMIT_MB: u32 = 64;

/// The share of [`WEB_MEMORY_LIMIT_MB`] above which WebKit drops its caches at each look.
const WEB_MEMORY_CONSERVATIVE: f64 = 0.25;

/// The share of [`WEB_MEMORY_LIMIT_MB`] above which WebKit gives back all it can at each look.
const WEB_MEMORY_STRICT: f64 = 0.5;

/// How often WebKit looks at its web process's memory, s (WebKit's own default).
const WEB_MEMORY_POLL_SECS: f64 = 30.0;

/// WebKit's memory pressure settings: what [`release_web_memory`] gives, or a test's own.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WebMemory {
    /// The limit, MB.
    pub limit_mb: u32,
    /// Above this share of the limit, caches are dropped at each look.
    pub conservative: f64,
    /// Above this share, everything that can be is given back at each look.
    pub strict: f64,
    /// Above this share the web process is killed; `None`: never.
    pub kill: Option<f64>,
    /// Seconds between two looks.
    pub poll_secs: f64,
}

/// What the window's web process is given: see [`release_web_memory`].
pub const WEB_MEMORY: WebMemory = WebMemory {
    limit_mb: WEB_MEMORY_LIMIT_MB,
    conservative: WEB_MEMORY_CONSERVATIVE,
    strict: WEB_MEMORY_STRICT,
    kill: None,
    poll_secs: WEB_MEMORY_POLL_SECS,
};

/// Why WebKit's web processes could not be given their memory settings.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum WebMemoryError {
    #[error("WebKit refused the memory settings {0:?} (a share out of 0..1, or out of order)")]
    Refused(WebMemory),
    #[error("WebKit's web context class has no constructor to chain to")]
    NoConstructor,
    #[error("the web processes' memory settings were given already: {0:?}")]
    GivenAlready(WebMemory),
}

/// Makes WebKit give back what the window's web process holds beyond what it needs, every
/// 30 s. WebKit watches its web process's memory (its memory pressure handler) against a limit,
/// by default the machine's memory up to 3 GB: above a third of it the process drops its caches
/// at each look, above half it gives back all it can (caches, compiled code it is not running, a
/// full collection). The page lives on 12 to 14 MB of objects and WebKit counts 45 to 60 MB for
/// its process, so by default it never released anything and the window crept up through the
/// soak's hour (+6.5 % unrecorded, +8.1 % recorded, stop 33), every lead on the allocator and
/// the JIT above notwithstanding. With a limit of [`WEB_MEMORY_LIMIT_MB`] it gives back all it
/// can at each look. Three unrecorded ×60 drills side by side for 30 minutes
/// (`benches/soak.sh`, medians of the 10th-15th and 25th-30th minutes, app + WebKit): as before
/// 138.6 → 139.4 MB, caches only (above a third of 100 MB) 132.1 → 134.7 MB, all given back
/// (above 30 of 100 MB) 116.3 → 117.0 MB, 22 MB lower, for 22 % more of the web process's time
/// (55 s of CPU against 45 s in its first 15 minutes at ×60; at the speed of a real night, a
/// collection of a 14 MB heap every 30 s). There is no kill threshold: the window is never
/// killed for its memory. Then a full hour, two unrecorded ×60 drills side by side and nothing
/// else running, medians of the 10th-15th and 55th-60th minutes: WebKit's defaults 134.8 →
/// 145.8 MB (+8.1 %), [`WEB_MEMORY`] 116.7 → 124.6 MB (+6.7 %): 18 to 21 MB lower all along and
/// growing by 8 MB rather than 11, but growing still (the aim is under 5 %). It is on by default;
/// `WARROOM_WEB_MEMORY=keep` leaves WebKit's defaults (`run`). The next hour with it on by
/// default (an unrecorded and a recorded drill side by side, with two `make test` runs at
/// `nice 19` taking 42 minutes of it): unrecorded 115.0 → 116.9 MB (+1.6 %), recorded 128.9 →
/// 133.0 MB (+3.2 %, 3 088 events); the web process's private pages from the 10th to the 58th
/// minute (its `smaps`) +1.4 MB unrecorded, all of it malloc's heap, and +4.1 MB recorded.
///
/// WebKit takes these settings only when a web context is made (its `memory-pressure-settings`
/// property can only be given to the constructor) and wry makes the window's context itself,
/// giving none. So the constructor of WebKit's web context class is chained: `settings` fill the
/// property in whenever a context is made without it. Call it once, on the thread that will run
/// GTK, before any window exists (`run` does); each context made after it is given `settings`.
pub fn release_web_memory(settings: WebMemory) -> Result<(), WebMemoryError> {
    if let Some(given) = GIVEN.get() {
        return Err(WebMemoryError::GivenAlready(given.asked));
    }
    let made = made(settings)?;
    // SAFETY: the class is WebKit's, registered on first use; the reference taken here is never
    // given back, so the class (and the constructor put in it) lives as long as the program.
    // Its constructor is replaced before any context is made (see above), by one that calls it.
    #[allow(unsafe_code)]
    unsafe {
        let class =
            gobject::g_type_class_ref(ffi::webkit_web_context_get_type()).cast::<gobject::GObjectClass>();
        let Some(chained) = (*class).constructor else {
            ffi::webkit_memory_pressure_settings_free(made);
            return Err(WebMemoryError::NoConstructor);
        };
        if GIVEN.set(Given { chained, settings: MadeSettings(made), asked: settings }).is_err() {
            // Another thread gave its settings in between: those are the ones in place.
            ffi::webkit_memory_pressure_settings_free(made);
            return Err(WebMemoryError::GivenAlready(GIVEN.get().map_or(settings, |given| given.asked)));
        }
        (*class).constructor = Some(construct_with_memory_settings);
    }
    Ok(())
}

impl WebMemory {
    /// Whether WebKit takes these settings (a share out of 0..1, or the shares out of order, it
    /// refuses with a warning on stderr).
    pub fn taken_by_webkit(self) -> Result<(), WebMemoryError> {
        let made = made(self)?;
        // SAFETY: made just above by WebKit's function, freed once.
        #[allow(unsafe_code)]
        unsafe {
            ffi::webkit_memory_pressure_settings_free(made)
        };
        Ok(())
    }
}

/// WebKit's memory pressure settings made of `settings`, as WebKit took them; the caller frees
/// or keeps them.
fn made(settings: WebMemory) -> Result<*mut ffi::WebKitMemoryPressureSettings, WebMemoryError> {
    // SAFETY: the settings are WebKit's own boxed type, made, read and (when refused) freed
    // through its functions.
    #[allow(unsafe_code)]
    unsafe {
        let made = ffi::webkit_memory_pressure_settings_new();
        ffi::webkit_memory_pressure_settings_set_memory_limit(made, settings.limit_mb);
        // WebKit takes a threshold only in order (conservative < strict < kill): the
        // conservative share is given again once the strict one has moved out of its way.
        ffi::webkit_memory_pressure_settings_set_conservative_threshold(made, settings.conservative);
        ffi::webkit_memory_pressure_settings_set_strict_threshold(made, settings.strict);
        ffi::webkit_memory_pressure_settings_set_conservative_threshold(made, settings.conservative);
        if let Some(kill) = settings.kill {
            ffi::webkit_memory_pressure_settings_set_kill_threshold(made, kill);
        }
        ffi::webkit_memory_pressure_settings_set_poll_interval(made, settings.poll_secs);
        let taken = WebMemory {
            limit_mb: ffi::webkit_memory_pressure_settings_get_memory_limit(made),
            conservative: ffi::webkit_memory_pressure_settings_get_conservative_threshold(made),
            strict: ffi::webkit_memory_pressure_settings_get_strict_threshold(made),
            kill: settings.kill.map(|_| ffi::webkit_memory_pressure_settings_get_kill_threshold(made)),
            poll_secs: ffi::webkit_memory_pressure_settings_get_poll_interval(made),
        };
        if taken != settings {
            ffi::webkit_memory_pressure_settings_free(made);
            return Err(WebMemoryError::Refused(settings));
        }
        Ok(made)
    }
}

/// A GObject constructor, as GLib calls it.
type Constructor =
    unsafe extern "C" fn(GType, c_uint, *mut gobject::GObjectConstructParam) -> *mut gobject::GObject;

/// WebKit's memory pressure settings, made once.
struct MadeSettings(*mut ffi::WebKitMemoryPressureSettings);

// SAFETY: made once before any thread reads them, never changed or freed after; GLib only
// copies them.
#[allow(unsafe_code)]
unsafe impl Send for MadeSettings {}
#[allow(unsafe_code)]
unsafe impl Sync for MadeSettings {}

/// What [`release_web_memory`] put in place: WebKit's constructor and the settings it is given.
struct Given {
    chained: Constructor,
    settings: MadeSettings,
    asked: WebMemory,
}

static GIVEN: OnceLock<Given> = OnceLock::new();

/// WebKit's web context constructor, with [`Given::settings`] as its `memory-pressure-settings`
/// unless the context's maker gave some.
#[allow(unsafe_code)]
unsafe extern "C" fn construct_with_memory_settings(
    kind: GType,
    count: c_uint,
    params: *mut gobject::GObjectConstructParam,
) -> *mut gobject::GObject {
    let Some(given) = GIVEN.get() else {
        // Not reachable: the constructor is put in place after `GIVEN` is set.
        return std::ptr::null_mut();
    };
    // SAFETY: GLib passes the construct properties of `kind` (all of them, with their defaults
    // when not given), `count` of them at `params`, each a GParamSpec and a GValue of its type;
    // the boxed value set here is copied by GLib (WebKit's copy function) into that value.
    unsafe {
        if !params.is_null() {
            for param in std::slice::from_raw_parts_mut(params, count as usize) {
                let name = CStr::from_ptr((*param.pspec).name);
                if name.to_bytes() == b"memory-pressure-settings"
                    && gobject::g_value_get_boxed(param.value).is_null()
                {
                    gobject::g_value_set_boxed(param.value, given.settings.0.cast::<c_void>().cast_const());
                }
            }
        }
        (given.chained)(kind, count, params)
    }
}
