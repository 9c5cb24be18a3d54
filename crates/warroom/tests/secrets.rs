//! `warroom secret` against the machine's real keyrings (issue 16, defect 8): a secret is said to
//! be stored only where another process, in another keyring session, reads it back.
//!
//! "Another process" is a `warroom` started under `keyctl session -`: a fresh kernel session
//! keyring, as a second login or a second `docker exec` gets. The kernel's keyrings are used
//! inside a user namespace (`unshare -r`) with a session of its own: there the user owns its
//! keyrings as on a normal login, whereas a container's keyrings may belong to a user outside it
//! (the kernel then refuses the persistent keyring, which is the refusal tested below). The desktop keyring is a real
//! GNOME Keyring daemon on a private session bus (`dbus-run-session`), unlocked with a throwaway
//! password in a temporary home, read back by `secret-tool` (libsecret), a program that is not
//! warroom. `make test` installs keyutils, gnome-keyring and libsecret-tools.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output, Stdio};

const WARROOM: &str = env!("CARGO_BIN_EXE_warroom");

fn name() -> String {
    format!("warroom-test-{}", ulid::Ulid::new())
}

/// `program args…` with `stdin`, without any desktop bus unless the test gives one.
fn run(program: &str, args: &[&str], envs: &[(&str, &str)], stdin: &str) -> Output {
    use std::io::Write;
    let mut command = Command::new(program);
    command
        .args(args)
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env_remove("WARROOM_SECRET_STORE")
        .envs(envs.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `warroom secret check NAME` from a new kernel keyring session.
fn check_from_another_session(name: &str, envs: &[(&str, &str)]) -> Output {
    run("keyctl", &["session", "-", WARROOM, "secret", "check", name], envs, "")
}

/// `script` in a user namespace of its own, which starts a kernel keyring session it owns.
fn in_own_keyrings(script: &str) -> Output {
    let script = format!("keyctl new_session >/dev/null\n{script}");
    run("unshare", &["-r", "bash", "-c", &script], &[], "")
}

/// Without a desktop keyring, the kernel's persistent keyring keeps it for every process of the
/// user, and the command says what that store does not promise; a process in a new keyring
/// session reads it, and after `delete` no longer does.
#[test]
fn a_secret_set_by_one_process_is_read_by_another_in_a_new_keyring_session() {
    let name = name();
    let script = format!(
        r#"printf %s hunter2 | "{WARROOM}" secret set "{name}" || exit 10
keyctl session - "{WARROOM}" secret check "{name}" 2>&1 || exit 11
"{WARROOM}" secret delete "{name}" || exit 12
keyctl session - "{WARROOM}" secret check "{name}" 2>&1 && exit 13
exit 0
"#
    );
    let out = in_own_keyrings(&script);
    let said = stderr(&out);
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "exit {:?}\nstdout: {printed}\nstderr: {said}", out.status.code());
    assert!(said.contains(&format!("stored '{name}' in the kernel's persistent keyring")), "{said}");
    assert!(said.contains("lost at reboot"), "what the store does not promise is said: {said}");
    assert!(
        printed.contains(&format!("'{name}' is in the kernel's persistent keyring")),
        "another session reads it: {printed}"
    );
    assert!(printed.contains(&format!("warroom secret set {name}")), "then it is gone: {printed}");
    assert!(!printed.contains("hunter2") && !said.contains("hunter2"), "the secret is never printed");
}

/// Where no store keeps a secret for another process (here: only the Secret Service is allowed
/// and there is no session bus), `set` refuses, says why and what to do instead, and leaves
/// nothing behind in any keyring.
#[test]
fn a_secret_is_never_said_stored_where_no_other_process_can_read_it() {
    let name = name();
    let set =
        run(WARROOM, &["secret", "set", &name], &[("WARROOM_SECRET_STORE", "secret-service")], "hunter2");
    assert_eq!(set.status.code(), Some(1), "{}", stderr(&set));
    let said = stderr(&set);
    assert!(said.contains(&format!("'{name}' is not stored")), "{said}");
    assert!(said.contains("no session D-Bus"), "the reason is named: {said}");
    assert!(said.contains("environment variable"), "the way out is named: {said}");
    assert!(!said.contains("stored '"), "{said}");

    let nowhere = check_from_another_session(&name, &[]);
    assert_eq!(nowhere.status.code(), Some(1), "nothing was left behind: {}", stderr(&nowhere));

    let bad = run(WARROOM, &["secret", "set", &name], &[("WARROOM_SECRET_STORE", "vault")], "x");
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("WARROOM_SECRET_STORE=vault: expected auto, secret-service or kernel"));
}

/// On a desktop session the secret goes to the Secret Service (a real GNOME Keyring), where
/// libsecret's `secret-tool`, another program, finds it; `warroom` in a new keyring session finds
/// it there too.
#[test]
fn on_a_desktop_session_the_secret_goes_to_the_desktop_keyring() {
    let home = tempfile::tempdir().unwrap();
    let name = name();
    let script = format!(
        r#"set -e
eval "$(printf %s throwaway | gnome-keyring-daemon --unlock --components=secrets)"
printf %s hunter2 | "{WARROOM}" secret set "{name}"
keyctl session - "{WARROOM}" secret check "{name}"
printf 'secret-tool: %s\n' "$(secret-tool lookup service warroom username "{name}")"
"{WARROOM}" secret delete "{name}"
if secret-tool lookup service warroom username "{name}"; then echo "still there"; exit 3; fi
"#
    );
    let out = run(
        "dbus-run-session",
        &["--", "bash", "-c", &script],
        &[
            ("HOME", path(home.path())),
            ("XDG_DATA_HOME", path(&home.path().join("data"))),
            ("XDG_RUNTIME_DIR", path(home.path())),
        ],
        "",
    );
    let said = stderr(&out);
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "stdout: {printed}\nstderr: {said}");
    assert!(said.contains(&format!("stored '{name}' in the desktop keyring")), "{said}");
    assert!(said.contains(&format!("'{name}' is in the desktop keyring")), "{said}");
    assert!(printed.contains("secret-tool: hunter2"), "another program reads it: {printed}");
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}
