//! The one conversion from the core error to Python exceptions. The exception classes
//! are defined in Python (`zkattest/errors.py`) so users can catch them without
//! importing the extension.

use pyo3::import_exception;
use pyo3::PyErr;
use zkattest_core::Error;

import_exception!(zkattest.errors, InvalidInputError);
import_exception!(zkattest.errors, MalformedError);
import_exception!(zkattest.errors, VerificationError);
import_exception!(zkattest.errors, ProvingError);
import_exception!(zkattest.errors, ZkattestIOError);

/// Core error -> Python exception.
pub struct CoreError(pub Error);

impl From<Error> for CoreError {
    fn from(e: Error) -> Self {
        CoreError(e)
    }
}

impl From<CoreError> for PyErr {
    fn from(CoreError(e): CoreError) -> PyErr {
        let msg = e.to_string();
        match e {
            Error::InvalidInput(_) => InvalidInputError::new_err(msg),
            Error::Malformed { .. } => MalformedError::new_err(msg),
            Error::Verification(_) => VerificationError::new_err(msg),
            Error::Proving(_) => ProvingError::new_err(msg),
            Error::Io(_) => ZkattestIOError::new_err(msg),
        }
    }
}

/// Result type of binding functions.
pub type CoreResult<T> = Result<T, CoreError>;
