//! The native module of the `qa_engine` Python package (`qa_engine._native`).
//!
//! Bindings only convert: Python dicts become core transcripts and turns, core reports become
//! dicts, core errors become the typed exceptions of `qa_engine`. Every rule of scoring lives in
//! `qa-core`. The Python API is documented in `docs/python.md`; its types in `_native.pyi`.

mod arrow;
mod convert;
mod engine;
mod errors;
mod pool;

use pyo3::prelude::*;

/// Quality inspection of customer-service conversations (native part of `qa_engine`).
#[pymodule(name = "_native")]
mod native {
    use pyo3::prelude::*;

    #[pymodule_export]
    use crate::engine::{_rebuild_engine, PyEngine, PySession};

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add("__version__", env!("CARGO_PKG_VERSION"))?;
        crate::forget_pools_after_fork(m.py())?;
        // the public names; `_rebuild_engine` is for pickle only
        m.setattr("__all__", ["Engine", "Session"])
    }
}

/// Makes a child forked by Python forget its parent's thread pools at once (see `pool`).
fn forget_pools_after_fork(py: Python<'_>) -> PyResult<()> {
    let os = py.import("os")?;
    if !os.hasattr("register_at_fork")? {
        // no fork on this platform
        return Ok(());
    }
    let forked = pyo3::types::PyCFunction::new_closure(
        py,
        Some(c"_forget_pools_after_fork"),
        None,
        |_, _| pool::forked(),
    )?;
    let kwargs = pyo3::types::PyDict::new(py);
    kwargs.set_item("after_in_child", forked)?;
    os.getattr("register_at_fork")?.call((), Some(&kwargs))?;
    Ok(())
}
