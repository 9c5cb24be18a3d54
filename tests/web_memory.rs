//! WebKit's web process takes the memory settings `memory::release_web_memory` gives to the web
//! contexts made after it (issue 17's soak: the window's web process gives back what it frees
//! every 30 s). A real WebKitGTK view, made without Tauri, under Xvfb as the e2e tests are. The
//! settings here kill a web process above 3 MB, far under what any page needs: a web process
//! that took them is killed for its memory at WebKit's first look, one second in; one that did
//! not would load its page and live on. (The window's own settings kill nothing: `WEB_MEMORY`
//! has no kill threshold.) Its own `main`: GTK runs on the process's main thread.

#![allow(clippy::expect_used)]

#[cfg(target_os = "linux")]
fn main() {
    use gtk::prelude::*;
    use std::{
        cell::Cell,
        rc::Rc,
        time::{Duration, Instant},
    };
    use warroom_desktop::memory::{WEB_MEMORY, WebMemory, WebMemoryError, release_web_memory};
    use webkit2gtk::{WebContext, WebProcessTerminationReason, WebView, WebViewExt};

    gtk::init().expect("GTK starts (the test runs under xvfb-run, as `make test` does)");

    // The window's settings are WebKit's to take; settings it refuses are not put in place.
    assert_eq!(WEB_MEMORY.taken_by_webkit(), Ok(()));
    let refused = WebMemory { strict: 1.5, ..WEB_MEMORY };
    assert_eq!(release_web_memory(refused), Err(WebMemoryError::Refused(refused)));
    let out_of_order = WebMemory { conservative: 0.6, strict: 0.4, ..WEB_MEMORY };
    assert_eq!(release_web_memory(out_of_order), Err(WebMemoryError::Refused(out_of_order)));

    let killing =
        WebMemory { limit_mb: 100, conservative: 0.01, strict: 0.02, kill: Some(0.03), poll_secs: 1.0 };
    assert_eq!(release_web_memory(killing), Ok(()));
    // Once only: the contexts already made keep what they were given.
    assert_eq!(release_web_memory(WEB_MEMORY), Err(WebMemoryError::GivenAlready(killing)));

    // A context made as wry makes the window's, without memory settings of its own.
    let context = WebContext::new();
    let view = WebView::with_context(&context);
    let window = gtk::OffscreenWindow::new();
    window.add(&view);
    window.show_all();
    let ended = Rc::new(Cell::new(None));
    let seen = ended.clone();
    view.connect_web_process_terminated(move |_, reason| seen.set(Some(reason)));
    view.load_html("<!doctype html><p>A page that needs far more than 3 MB to be drawn.</p>", None);

    let started = Instant::now();
    let main = gtk::glib::MainContext::default();
    while ended.get().is_none() && started.elapsed() < Duration::from_secs(60) {
        if !main.iteration(false) {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    assert_eq!(
        ended.get(),
        Some(WebProcessTerminationReason::ExceededMemoryLimit),
        "the web process was given the settings (killed above 3 MB) within {:?}",
        started.elapsed()
    );
    println!(
        "web_memory: the web process took the memory settings (killed above 3 MB after {:?}): ok",
        started.elapsed()
    );
}

#[cfg(not(target_os = "linux"))]
fn main() {}
