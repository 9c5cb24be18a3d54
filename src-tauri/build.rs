//! Runs tauri-build: embeds the configuration and the access-control list. The app's own
//! permissions (one per command) are in `src-tauri/permissions/`; the window may call exactly
//! the commands its capability file grants.

const PERMISSIONS: &str = "./src-tauri/permissions/*.toml";

fn main() {
    println!("cargo::rerun-if-changed=src-tauri/permissions");
    let manifest = tauri_build::AppManifest::new().permissions_path_pattern(PERMISSIONS);
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("./src-tauri/capabilities/*.json")
        .app_manifest(manifest);
    if let Err(err) = tauri_build::try_build(attributes) {
        println!("cargo::error=tauri-build failed: {err:#}");
        std::process::exit(1);
    }
}
