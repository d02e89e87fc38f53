//! Exit codes: 1 for usage and validation errors (the user can fix the input), 2 for environment, server or
//! connection errors.

use beacon_store::StoreError;

/// Bad input detected in the binary itself (arguments, config file).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

pub fn exit_code(err: &anyhow::Error) -> u8 {
    for cause in err.chain() {
        if cause.is::<UsageError>() || cause.is::<beacon_core::ValidationError>() {
            return 1;
        }
        if let Some(e) = cause.downcast_ref::<beacon_server::error::ApiError>() {
            return if e.is_client_error() { 1 } else { 2 };
        }
        if let Some(e) = cause.downcast_ref::<StoreError>() {
            return match e {
                StoreError::NotFound { .. } | StoreError::Conflict(_) | StoreError::Invalid(_) => 1,
                _ => 2,
            };
        }
    }
    2
}
