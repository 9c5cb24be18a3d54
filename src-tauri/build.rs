//! Runs tauri-build. The window's commands are listed once (`commands/list.rs`): from that list
//! tauri-build generates one permission per command (`allow-<name>`), and this script writes the
//! window's capability granting exactly those (plus listening to the runtime's pushes), so the
//! window may call exactly the commands the shell registers, and nothing is kept by hand.

include!("commands/list.rs");

macro_rules! names {
    ($($module:ident :: $name:ident),* $(,)?) => {
        &[$(stringify!($name)),*]
    };
}

const COMMANDS: &[&str] = commands!(names);

fn main() {
    if let Err(e) = build() {
        println!("cargo::error=tauri-build failed: {e:#}");
        std::process::exit(1);
    }
}

fn build() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo::rerun-if-changed=src-tauri/commands/list.rs");
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR")?).join("capabilities");
    std::fs::create_dir_all(&out)?;
    let mut permissions: Vec<String> =
        COMMANDS.iter().map(|c| format!("allow-{}", c.replace('_', "-"))).collect();
    // The runtime's updates are pushed as events: the window may listen; and it may zoom itself
    // (Ctrl + / −). Nothing else of Tauri's own.
    permissions.extend(
        ["core:event:allow-listen", "core:event:allow-unlisten", "core:webview:allow-set-webview-zoom"]
            .map(str::to_owned),
    );
    let capability = serde_json::json!({
        "identifier": "main-window",
        "description": "What the war-room window may do: call warroom's own commands, hear its pushes and zoom, nothing else.",
        "windows": ["main"],
        "permissions": permissions,
    });
    std::fs::write(out.join("main.json"), serde_json::to_string_pretty(&capability)?)?;
    let pattern: &'static str = Box::leak(format!("{}/*.json", out.display()).into_boxed_str());
    let manifest = tauri_build::AppManifest::new().commands(COMMANDS);
    let attributes = tauri_build::Attributes::new().capabilities_path_pattern(pattern).app_manifest(manifest);
    tauri_build::try_build(attributes)?;
    Ok(())
}
