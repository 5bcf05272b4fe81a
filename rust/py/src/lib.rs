//! The Python binding of zkattest (module `zkattest._core`). It only converts types,
//! releases the GIL around core calls and maps the core error onto Python exceptions;
//! all logic lives in `zkattest-core`.

mod arith;
mod commit;
mod error;
mod floor;
mod optim;
mod smoke;
mod step;

use pyo3::prelude::*;

/// The compiled core of zkattest. Use the `zkattest` package, not this module.
#[pymodule(gil_used = false)]
mod _core {
    use super::*;

    #[pymodule_export]
    use super::smoke::{smoke_prove, smoke_verify};

    #[pymodule_export]
    use super::arith::{arith_evaluate, arith_layout, arith_ops, arith_prove, arith_verify};

    #[pymodule_export]
    use super::commit::{
        commit_chunk_salt, commit_constants, commit_derive_step_key, commit_from_shards,
        commit_leaf_hash, commit_parse_proof, commit_safetensors, commit_shard, commit_state,
        commit_verify_chunk, commit_verify_leaf, PyCommittedState,
    };

    #[pymodule_export]
    use super::optim::{
        adamw_scalars, adamw_update, adamw_update_reference, sgd_scalars, sgd_update,
        sgd_update_reference, PyAdamWScalars, PySgdScalars,
    };

    #[pymodule_export]
    use super::step::{step_layout, step_prove_chunk, step_public_info, step_verify_chunk};

    #[pymodule_export]
    use super::floor::floor_prove;

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add("__version__", env!("CARGO_PKG_VERSION"))?;
        Ok(())
    }
}
