//! Secrets in the OS keyring (the `keyring` crate: the kernel's keyutils on Linux, the Keychain
//! on macOS, the Credential Manager on Windows), under the service [`SERVICE`].
//!
//! On Linux, keyring links each key to the user's persistent keyring so it survives logout.
//! Where the kernel refuses that link (containers, some hardened kernels), the key is kept in
//! the session keyring alone, which lasts until logout; reading and deleting fall back the
//! same way.

/// The service name entries are stored under.
pub const SERVICE: &str = "warroom";

/// Where a secret was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// The OS keyring proper.
    Keyring,
    /// The session keyring only (Linux): it lasts until logout.
    SessionOnly,
}

/// What went wrong with the keyring.
#[derive(Debug, thiserror::Error)]
#[error("OS keyring entry '{name}': {error}")]
pub struct SecretError {
    pub name: String,
    #[source]
    pub error: keyring::Error,
}

fn entries(name: &str) -> Result<Vec<keyring::Entry>, SecretError> {
    let err = |error| SecretError { name: name.to_owned(), error };
    let mut entries = vec![keyring::Entry::new(SERVICE, name).map_err(err)?];
    #[cfg(target_os = "linux")]
    {
        let mut session =
            keyring::keyutils::KeyutilsCredential::new_with_target(None, SERVICE, name).map_err(err)?;
        session.persistent = None;
        entries.push(keyring::Entry::new_with_credential(Box::new(session)));
    }
    Ok(entries)
}

/// Tries `f` on each way of reaching the entry; the first success, else the first error.
fn first<T>(
    name: &str,
    mut f: impl FnMut(&keyring::Entry) -> keyring::Result<T>,
) -> Result<(usize, T), SecretError> {
    let mut first_error = None;
    for (i, entry) in entries(name)?.iter().enumerate() {
        match f(entry) {
            Ok(value) => return Ok((i, value)),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(SecretError { name: name.to_owned(), error: first_error.unwrap_or(keyring::Error::NoEntry) })
}

/// Stores `secret` as `name`.
///
/// # Errors
/// [`SecretError`] when no keyring takes it (an empty secret, say).
pub fn set(name: &str, secret: &str) -> Result<Stored, SecretError> {
    let (i, ()) = first(name, |e| e.set_password(secret))?;
    Ok(if i == 0 { Stored::Keyring } else { Stored::SessionOnly })
}

/// The secret stored as `name`.
///
/// # Errors
/// [`SecretError`] when there is none.
pub fn get(name: &str) -> Result<String, SecretError> {
    first(name, |e| e.get_password()).map(|(_, secret)| secret)
}

/// Deletes the secret stored as `name`.
///
/// # Errors
/// [`SecretError`] when there is none.
pub fn delete(name: &str) -> Result<(), SecretError> {
    first(name, |e| e.delete_credential()).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SecretRef;

    /// The real keyring of the machine (the kernel's, on Linux): stored, read through a
    /// configuration's reference, deleted, and then an error that says how to store it.
    #[test]
    fn a_secret_goes_in_comes_out_by_reference_and_goes_away() {
        let name = format!("warroom-test-{}", ulid::Ulid::new());
        set(&name, "hunter2").unwrap();
        assert_eq!(SecretRef::Keyring(name.clone()).resolve().unwrap(), "hunter2");
        delete(&name).unwrap();
        let err = SecretRef::Keyring(name.clone()).resolve().unwrap_err();
        assert!(err.contains(&format!("warroom secret set {name}")), "{err}");
        assert!(set(&name, "").is_err(), "an empty secret is refused");
    }
}
