//! Secrets in the OS keyring (the `keyring` crate), under the service [`SERVICE`].
//!
//! Where a secret may go, in order:
//! - **the Secret Service** (GNOME Keyring, KWallet) on a Linux desktop session, reached over the
//!   session D-Bus; on macOS the Keychain, on Windows the Credential Manager;
//! - **the kernel's persistent keyring** (Linux), when no Secret Service answers: shared by every
//!   process of the user, kept in memory only (lost at reboot, and after
//!   `/proc/sys/kernel/keys/persistent_keyring_expiry` seconds unused). The caller says so.
//!
//! A secret is never said to be stored where another process cannot read it back: the kernel's
//! session keyring alone (what a container gives when it refuses the persistent keyring) is not a
//! store, and [`set`] refuses rather than claim it. `WARROOM_SECRET_STORE` picks one store
//! (`secret-service` or `kernel`) instead of the first that works.

use std::time::Duration;

/// The service name entries are stored under.
pub const SERVICE: &str = "warroom";

/// The environment variable that picks a store: `auto` (the default), `secret-service`, `kernel`.
pub const STORE_VAR: &str = "WARROOM_SECRET_STORE";

/// How long the Secret Service may take to answer before it is taken as absent (a locked
/// keyring's unlock prompt, on a display nobody looks at, would otherwise wait forever).
const SECRET_SERVICE_PATIENCE: Duration = Duration::from_secs(10);

/// Where a secret is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// The desktop's keyring: the Secret Service on Linux, the Keychain or Credential Manager.
    Desktop,
    /// The kernel's persistent keyring (Linux): in memory, for every process of the user, lost
    /// at reboot and after `expiry_secs` unused.
    KernelPersistent { expiry_secs: Option<u64> },
}

/// What went wrong with the keyring.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("OS keyring entry '{name}': {error}")]
    Keyring {
        name: String,
        #[source]
        error: keyring::Error,
    },
    #[error(
        "'{name}' is not stored: no keyring here keeps a secret for another process ({}). \
         Run a desktop keyring (GNOME Keyring, KWallet), or give the secret through an environment \
         variable instead (e.g. bearer_token_env = \"PROM_TOKEN\" in warroom.toml)",
        tried.join("; ")
    )]
    NowhereToKeep { name: String, tried: Vec<String> },
    #[error("no secret named '{name}' in {}; store it with: warroom secret set {name}", looked.join(" or "))]
    NotFound { name: String, looked: Vec<&'static str> },
    #[error("{STORE_VAR}={value}: expected auto, secret-service or kernel")]
    BadStore { value: String },
}

/// The stores to try, as `WARROOM_SECRET_STORE` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Choice {
    Auto,
    Desktop,
    Kernel,
}

fn choice() -> Result<Choice, SecretError> {
    match std::env::var(STORE_VAR).as_deref() {
        Err(_) | Ok("" | "auto") => Ok(Choice::Auto),
        Ok("secret-service" | "desktop") => Ok(Choice::Desktop),
        Ok("kernel") => Ok(Choice::Kernel),
        Ok(other) => Err(SecretError::BadStore { value: other.to_owned() }),
    }
}

/// One store, with the name it is said by.
struct Store {
    label: &'static str,
    entry: fn(&str) -> keyring::Result<keyring::Entry>,
    kind: StoreKind,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum StoreKind {
    Desktop,
    Kernel,
}

fn stores(choice: Choice) -> Vec<Store> {
    let mut stores = Vec::new();
    if choice != Choice::Kernel {
        stores.push(desktop_store());
    }
    #[cfg(target_os = "linux")]
    if choice != Choice::Desktop {
        stores.push(Store {
            label: "the kernel's persistent keyring",
            entry: |name| {
                let credential = keyring::keyutils::KeyutilsCredential::new_with_target(None, SERVICE, name)?;
                if credential.persistent.is_none() {
                    return Err(keyring::Error::NoStorageAccess(
                        "the kernel refuses this user a persistent keyring".into(),
                    ));
                }
                Ok(keyring::Entry::new_with_credential(Box::new(credential)))
            },
            kind: StoreKind::Kernel,
        });
    }
    stores
}

#[cfg(target_os = "linux")]
fn desktop_store() -> Store {
    Store {
        label: "the Secret Service",
        entry: |name| {
            // Without a session bus, libdbus would try to autolaunch one (and a keyring daemon
            // with its unlock prompt) from the X display: a desktop session always says its bus.
            if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
                return Err(keyring::Error::NoStorageAccess(
                    "no session D-Bus (DBUS_SESSION_BUS_ADDRESS is not set)".into(),
                ));
            }
            let credential = keyring::secret_service::SsCredential::new_with_target(None, SERVICE, name)?;
            Ok(keyring::Entry::new_with_credential(Box::new(credential)))
        },
        kind: StoreKind::Desktop,
    }
}

#[cfg(not(target_os = "linux"))]
fn desktop_store() -> Store {
    Store {
        label: "the OS keyring",
        entry: |name| keyring::Entry::new(SERVICE, name),
        kind: StoreKind::Desktop,
    }
}

impl Store {
    /// `f` on this store's entry for `name`; the Secret Service gets [`SECRET_SERVICE_PATIENCE`].
    fn run<T: Send + 'static>(
        &self,
        name: &str,
        f: impl FnOnce(&keyring::Entry) -> keyring::Result<T> + Send + 'static,
    ) -> keyring::Result<T> {
        let entry = (self.entry)(name)?;
        if self.kind == StoreKind::Kernel {
            return f(&entry);
        }
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(f(&entry));
        });
        rx.recv_timeout(SECRET_SERVICE_PATIENCE).unwrap_or_else(|_| {
            Err(keyring::Error::NoStorageAccess(
                format!("no answer within {} s", SECRET_SERVICE_PATIENCE.as_secs()).into(),
            ))
        })
    }

    fn stored(&self) -> Stored {
        match self.kind {
            StoreKind::Desktop => Stored::Desktop,
            StoreKind::Kernel => Stored::KernelPersistent { expiry_secs: kernel_expiry_secs() },
        }
    }
}

fn kernel_expiry_secs() -> Option<u64> {
    std::fs::read_to_string("/proc/sys/kernel/keys/persistent_keyring_expiry")
        .ok()
        .and_then(|text| text.trim().parse().ok())
}

/// A short reason, for the refusal's list.
fn reason(error: &keyring::Error) -> String {
    match error {
        keyring::Error::NoStorageAccess(e) | keyring::Error::PlatformFailure(e) => e.to_string(),
        other => other.to_string(),
    }
}

/// Stores `secret` as `name` in the first store that keeps it for other processes, and reads
/// it back from there before saying so.
///
/// # Errors
/// [`SecretError::NowhereToKeep`] when no store takes it (each store's reason is named);
/// [`SecretError::Keyring`] for an empty secret.
pub fn set(name: &str, secret: &str) -> Result<Stored, SecretError> {
    if secret.is_empty() {
        return Err(SecretError::Keyring {
            name: name.to_owned(),
            error: keyring::Error::Invalid("secret".into(), "cannot be empty".into()),
        });
    }
    let mut tried = Vec::new();
    for store in stores(choice()?) {
        let value = secret.to_owned();
        let written = store.run(name, move |entry| {
            entry.set_password(&value)?;
            entry.get_password().map(|back| back == value)
        });
        match written {
            Ok(true) => return Ok(store.stored()),
            Ok(false) => tried.push(format!("{}: read back a different value", store.label)),
            Err(e) => {
                // Nothing of a failed store is left behind: the kernel keeps the key in this
                // session's keyring when the link to the persistent one fails (the Secret
                // Service writes nothing it refuses, and may not be answering at all).
                if store.kind == StoreKind::Kernel {
                    let _ = store.run(name, |entry| entry.delete_credential());
                }
                tried.push(format!("{}: {}", store.label, reason(&e)));
            }
        }
    }
    Err(SecretError::NowhereToKeep { name: name.to_owned(), tried })
}

/// The secret stored as `name`.
///
/// # Errors
/// [`SecretError::NotFound`] when no store has it.
pub fn get(name: &str) -> Result<String, SecretError> {
    find(name).map(|(_, secret)| secret)
}

/// Where `name` is stored (without handing the secret out).
///
/// # Errors
/// [`SecretError::NotFound`] when no store has it.
pub fn locate(name: &str) -> Result<Stored, SecretError> {
    find(name).map(|(stored, _)| stored)
}

fn find(name: &str) -> Result<(Stored, String), SecretError> {
    let stores = stores(choice()?);
    let looked = stores.iter().map(|s| s.label).collect();
    for store in &stores {
        if let Ok(secret) = store.run(name, |entry| entry.get_password()) {
            return Ok((store.stored(), secret));
        }
    }
    Err(SecretError::NotFound { name: name.to_owned(), looked })
}

/// Deletes the secret stored as `name` from every store that has it.
///
/// # Errors
/// [`SecretError::NotFound`] when none had it.
pub fn delete(name: &str) -> Result<(), SecretError> {
    let stores = stores(choice()?);
    let looked = stores.iter().map(|s| s.label).collect();
    let deleted = stores.iter().filter(|s| s.run(name, |entry| entry.delete_credential()).is_ok());
    if deleted.count() == 0 {
        return Err(SecretError::NotFound { name: name.to_owned(), looked });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SecretRef;

    /// A reference to a secret that is nowhere says how to store it, whatever the machine's
    /// keyrings; an empty secret is refused before any keyring is touched. Storing and reading
    /// back across processes, in each store: tests/secrets.rs.
    #[test]
    fn a_missing_secret_says_how_to_store_it() {
        let name = format!("warroom-test-{}", ulid::Ulid::new());
        let err = SecretRef::Keyring(name.clone()).resolve().unwrap_err();
        assert!(err.contains(&format!("warroom secret set {name}")), "{err}");
        let empty = set(&name, "").unwrap_err().to_string();
        assert!(empty.contains("cannot be empty"), "{empty}");
    }
}
