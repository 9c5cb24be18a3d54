//! Errors as they cross into the UI: `{ "code": "...", "message": "..." }`.
//!
//! The UI branches on `code` and shows `message` to the responder; it never parses the message.

use serde::Serialize;
use warroom::model::ParseError;
use warroom::ops::OpsError;
use warroom::store::StoreError;

/// An error the UI can show and act on.
#[derive(Debug, Clone, Serialize, thiserror::Error)]
#[error("{code}: {message}")]
pub struct IpcError {
    pub code: &'static str,
    pub message: String,
}

impl IpcError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        IpcError { code, message: message.into() }
    }
}

impl From<OpsError> for IpcError {
    fn from(e: OpsError) -> Self {
        tracing::warn!("{e}");
        IpcError::new(e.code(), e.to_string())
    }
}

impl From<StoreError> for IpcError {
    fn from(e: StoreError) -> Self {
        tracing::warn!("{e}");
        IpcError::new(e.code(), e.to_string())
    }
}

impl From<ParseError> for IpcError {
    fn from(e: ParseError) -> Self {
        IpcError::new("invalid_input", e.to_string())
    }
}
