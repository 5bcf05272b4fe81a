//! The Python binding of zkattest (module `zkattest._core`). It only converts types,
//! releases the GIL around core calls and maps the core error onto Python exceptions;
//! all logic lives in `zkattest-core`.

mod error;
mod smoke;

use pyo3::prelude::*;

/// The compiled core of zkattest. Use the `zkattest` package, not this module.
#[pymodule(gil_used = false)]
mod _core {
    use super::*;

    #[pymodule_export]
    use super::smoke::{smoke_prove, smoke_verify};

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add("__version__", env!("CARGO_PKG_VERSION"))?;
        Ok(())
    }
}
