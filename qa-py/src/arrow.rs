//! `Engine.score_arrow`: Arrow data in through the PyCapsule interface (pyo3-arrow), the core's
//! `score_arrow_chunks` without the GIL, a `pyarrow.Table` out. Only reading the input and
//! picking the column happen here; reading rows, scoring and building the rows are the core's.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef};
use arrow_schema::DataType;
use pyo3::exceptions::{PyImportError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3_arrow::input::AnyArray;
use pyo3_arrow::PyTable;

use crate::engine::guarded;
use crate::pool;

/// Scores `data`'s `column` with `jobs` threads; returns a `pyarrow.Table` of report rows.
pub(crate) fn score_arrow<'py>(
    py: Python<'py>,
    engine: &qa_core::Engine,
    data: &Bound<'py, PyAny>,
    column: &str,
    jobs: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    let pool = pool::for_jobs(jobs)?;
    let chunks = column_chunks(data, column)?;
    let batches = py.detach(|| {
        guarded(|| match &pool {
            Some(pool) => pool.install(|| engine.score_arrow_chunks(&chunks)),
            None => engine.score_arrow_chunks(&chunks),
        })
    })?;
    let batches = batches.map_err(|e| PyValueError::new_err(format!("column '{column}': {e}")))?;
    let table = PyTable::try_new(batches, qa_core::arrow::report_schema())?;
    if py.import("pyarrow").is_err() {
        return Err(PyImportError::new_err(
            "score_arrow returns a pyarrow.Table: install pyarrow (pip install pyarrow)",
        ));
    }
    table.into_pyarrow(py)
}

/// The chunks of the column of transcripts: `column` of a table, batch or stream, or the
/// array (or chunked array, or stream of arrays) itself when `data` is not tabular.
fn column_chunks(data: &Bound<'_, PyAny>, column: &str) -> PyResult<Vec<ArrayRef>> {
    let input: AnyArray = data.extract().map_err(|_| {
        let found = data
            .get_type()
            .name()
            .map_or_else(|_| "?".to_string(), |n| n.to_string());
        PyTypeError::new_err(format!(
            "score_arrow takes Arrow data (a pyarrow Table, RecordBatch or RecordBatchReader, a \
             polars DataFrame, or anything with __arrow_c_stream__ or __arrow_c_array__), \
             found a {found}"
        ))
    })?;
    let field = input.field()?;
    let reader = input.into_reader()?;
    let tabular = match field.data_type() {
        DataType::Struct(fields) => match fields.find(column) {
            Some(_) => true,
            None if fields.iter().any(|f| f.name() == "turns") && column == "transcript" => {
                // a struct array of transcripts, not a table of them
                false
            }
            None => {
                let names: Vec<String> = fields.iter().map(|f| format!("'{}'", f.name())).collect();
                return Err(PyValueError::new_err(format!(
                    "no column '{column}': the columns are [{}]",
                    names.join(", ")
                )));
            }
        },
        _ => false,
    };
    let picked = if tabular {
        match field.data_type() {
            DataType::Struct(fields) => fields.find(column).map(|(_, f)| f.data_type().clone()),
            _ => None,
        }
    } else {
        Some(field.data_type().clone())
    };
    if let Some(t) = &picked {
        qa_core::arrow::accepts(t)
            .map_err(|e| PyValueError::new_err(format!("column '{column}': {e}")))?;
    }
    let mut chunks = Vec::new();
    for chunk in reader {
        let chunk =
            chunk.map_err(|e| PyValueError::new_err(format!("cannot read the data: {e}")))?;
        if tabular {
            let s = chunk.as_struct();
            let c = s.column_by_name(column).ok_or_else(|| {
                PyValueError::new_err(format!("no column '{column}' in a batch of the stream"))
            })?;
            chunks.push(Arc::clone(c));
        } else {
            chunks.push(chunk);
        }
    }
    // a chunk with an empty column adds nothing; keep the others
    chunks.retain(|c| !c.is_empty());
    Ok(chunks)
}
