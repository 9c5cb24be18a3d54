//! The warroom desktop app: the window over the core (see `lib.rs`).

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if !warroom_desktop::memory::fix_mmap_threshold() {
        eprintln!("warroom: malloc did not take a fixed mmap threshold; memory may grow");
    }
    #[cfg(target_os = "linux")]
    for (key, value) in warroom_desktop::memory::WEB_PROCESS_ENV {
        // What the person who started the app set stays theirs.
        if std::env::var_os(key).is_none() {
            // SAFETY: `set_var` must not race another thread reading the environment; this is
            // the program's first statement, before any thread (GTK's, Tauri's, tokio's) exists.
            #[allow(unsafe_code)]
            unsafe {
                std::env::set_var(key, value)
            };
        }
    }
    warroom_desktop::run();
}
