//! What a background job sends back: its result, or why it failed, typed, so that the UI
//! can tell a refusal from a bug and show each in its words.

use std::fmt;

use kodiak::service::ServiceError;

/// A background job's outcome.
pub type Reply<T> = Result<T, JobError>;

/// Why a background job failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobError {
    /// What the service refused or could not do, in its words (a document that is gone,
    /// a locked database, an archived matter).
    Service(String),
    /// The job panicked, a bug that was caught: the panic's message.
    Internal(String),
}

impl fmt::Display for JobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JobError::Service(message) => f.write_str(message),
            JobError::Internal(message) => write!(f, "an internal error stopped it: {message}"),
        }
    }
}

impl From<ServiceError> for JobError {
    fn from(error: ServiceError) -> JobError {
        JobError::Service(error.to_string())
    }
}

impl JobError {
    /// A failure outside the service (a file that cannot be written, a term that cannot
    /// be searched), in its own words.
    pub fn other(error: impl fmt::Display) -> JobError {
        JobError::Service(error.to_string())
    }
}
