//! Runs tauri-build: embeds the configuration and the access-control list, and generates one
//! `allow-<command>` permission per command below, so the window may call exactly the commands
//! its capability file grants.

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(&[
        "app_info",
        "list_incidents",
        "get_incident",
        "declare_incident",
        "enter_stage",
        "add_note",
        "assign_role",
        "change_severity",
        "resolve_incident",
        "reopen_incident",
    ]);
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("./src-tauri/capabilities/*.json")
        .app_manifest(manifest);
    if let Err(err) = tauri_build::try_build(attributes) {
        println!("cargo::error=tauri-build failed: {err:#}");
        std::process::exit(1);
    }
}
