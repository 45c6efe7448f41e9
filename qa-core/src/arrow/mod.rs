//! Arrow in, Arrow out (feature `arrow`): a column of transcripts scored into report rows, for
//! front ends that hold conversations as Arrow data (Python's `Engine.score_arrow`, Spark, Ray).
//!
//! The column holds one transcript per row, either as JSON text (`utf8`, `large_utf8`,
//! `utf8_view`, `binary`, `large_binary`, `binary_view`), read by the same limited reader as
//! [`Engine::score_json`], or as structs
//! `{id?, agent?, channel?, meta?, turns: list<struct{speaker, text, start?, end?}>}` read
//! directly, with the engine's [`Limits`](crate::Limits) checked and errors naming the field and
//! the turn index as the JSON reader's do. Rows are scored in parallel on the current rayon pool
//! (as [`Engine::score_many`] does: a front end picks the pool, and so the number of threads,
//! with `ThreadPool::install`). The result has one row per input row, in order, with the schema
//! of [`report_schema`]; a row that cannot be read has its message in `error` and nulls in
//! `score`, `passed`, `fatal` and `findings`: one bad row never fails the batch.
//!
//! ```
//! use std::sync::Arc;
//! use qa_core::arrow::arrow_array::{cast::AsArray, Array, StringArray};
//! use qa_core::{Engine, Rubric};
//!
//! let engine = Engine::new(Rubric::from_yaml(
//!     "rubric: r\nrules: [{id: rude, kind: forbid, match: [这是规定], deduct: 10}]",
//! )?)?;
//! let column = StringArray::from(vec![
//!     Some(r#"{"id": "c1", "turns": [{"speaker": "agent", "text": "😀这是规定"}]}"#),
//!     Some(r#"{"turns": [{"speaker": "agent"}]}"#),
//!     None,
//! ]);
//! let batch = engine.score_arrow(&column)?;
//! assert_eq!(batch.schema(), qa_core::arrow::report_schema());
//! let score = batch.column_by_name("score").unwrap().as_primitive::<qa_core::arrow::arrow_array::types::Float64Type>();
//! assert_eq!(score.value(0), 90.0);
//! let error = batch.column_by_name("error").unwrap().as_string::<i32>();
//! assert!(error.is_null(0));
//! assert_eq!(error.value(1), "turn 0: missing field `text`");
//! assert_eq!(error.value(2), "transcript is null");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::sync::{Arc, OnceLock};

use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef};
use rayon::prelude::*;

use crate::engine::Engine;
use crate::error::{TranscriptError, TranscriptErrorKind};
use crate::report::Report;

mod read;
mod write;

pub use arrow_array;
pub use arrow_buffer;
pub use arrow_schema;

use read::Column;

/// A column that cannot be scored at all: the caller's mistake (a missing column, a column of a
/// type that holds no transcripts), not a bad row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnError {
    message: String,
}

impl ColumnError {
    pub(crate) fn new(message: impl Into<String>) -> ColumnError {
        ColumnError {
            message: message.into(),
        }
    }

    /// What is wrong, naming the column or the field.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ColumnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ColumnError {}

/// The schema of the rows [`Engine::score_arrow`] builds, every field nullable:
///
/// `id, agent, channel: utf8; score: float64; passed, fatal: bool;
/// findings: list<struct{rule, kind, severity: utf8; deduct: float64; turn, start, end: int64;
/// text: utf8}>; error: utf8`.
///
/// `turn` is null for a whole-conversation finding (and `start`/`end` with it); `start`/`end`
/// are Unicode code points, as in the JSON report.
pub fn report_schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    Arc::clone(SCHEMA.get_or_init(|| {
        Arc::new(Schema::new(vec![
            Field::new("id", DataType::Utf8, true),
            Field::new("agent", DataType::Utf8, true),
            Field::new("channel", DataType::Utf8, true),
            Field::new("score", DataType::Float64, true),
            Field::new("passed", DataType::Boolean, true),
            Field::new("fatal", DataType::Boolean, true),
            Field::new("findings", DataType::List(finding_item()), true),
            Field::new("error", DataType::Utf8, true),
        ]))
    }))
}

/// The item field of `findings`.
pub(crate) fn finding_item() -> Arc<Field> {
    Arc::new(Field::new("item", DataType::Struct(finding_fields()), true))
}

/// The fields of one finding.
pub(crate) fn finding_fields() -> Fields {
    Fields::from(vec![
        Field::new("rule", DataType::Utf8, true),
        Field::new("kind", DataType::Utf8, true),
        Field::new("severity", DataType::Utf8, true),
        Field::new("deduct", DataType::Float64, true),
        Field::new("turn", DataType::Int64, true),
        Field::new("start", DataType::Int64, true),
        Field::new("end", DataType::Int64, true),
        Field::new("text", DataType::Utf8, true),
    ])
}

/// Whether a column of `data_type` can hold transcripts ([`Engine::score_arrow`] accepts it):
/// JSON text, or structs with a `turns` list of structs with `speaker` and `text`. The error
/// says what does not fit.
///
/// ```
/// use qa_core::arrow::{accepts, arrow_schema::DataType};
/// assert!(accepts(&DataType::Utf8View).is_ok());
/// assert!(accepts(&DataType::Int64).unwrap_err().to_string().contains("int64"));
/// ```
pub fn accepts(data_type: &DataType) -> Result<(), ColumnError> {
    read::check_type(data_type)
}

/// The report row of one transcript, or why it could not be read.
type Row = Result<Report, TranscriptError>;

impl Engine {
    /// Scores a column of transcripts (JSON text or structs, see the [module](crate::arrow)
    /// docs) into one report row per input row, in order, with the schema of
    /// [`report_schema`]. Rows are scored in parallel on the current rayon pool. A row that
    /// cannot be read (bad JSON, a wrong field, over the limits, null) has its message in
    /// `error`; only a column of a type that cannot hold transcripts is an error.
    pub fn score_arrow(&self, column: &dyn Array) -> Result<RecordBatch, ColumnError> {
        let readers = [Column::new(column)?];
        let rows = self.score_rows(&readers);
        write::batch(&rows)
    }

    /// [`Engine::score_arrow`] on the chunks of one column (a chunked array, the batches of a
    /// stream): one output batch per chunk, every row of every chunk scored in one parallel
    /// pass (small chunks do not leave threads idle). All chunks must have one type.
    pub fn score_arrow_chunks(&self, chunks: &[ArrayRef]) -> Result<Vec<RecordBatch>, ColumnError> {
        if let Some(first) = chunks.first() {
            if let Some(other) = chunks.iter().find(|c| c.data_type() != first.data_type()) {
                return Err(ColumnError::new(format!(
                    "the chunks of the column have different types: {} and {}",
                    first.data_type(),
                    other.data_type()
                )));
            }
        }
        let readers = chunks
            .iter()
            .map(|c| Column::new(c.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        let mut rows = self.score_rows(&readers).into_iter();
        readers
            .iter()
            .map(|r| {
                let chunk: Vec<Row> = rows.by_ref().take(r.len()).collect();
                write::batch(&chunk)
            })
            .collect()
    }

    /// Every row of every chunk, read and scored in parallel, in order.
    fn score_rows(&self, readers: &[Column<'_>]) -> Vec<Row> {
        // the first row of each chunk, for finding a row's chunk
        let mut starts = Vec::with_capacity(readers.len());
        let mut total = 0usize;
        for r in readers {
            starts.push(total);
            total += r.len();
        }
        (0..total)
            .into_par_iter()
            .map(|i| {
                let c = starts.partition_point(|&s| s <= i) - 1;
                self.score_row(&readers[c], i - starts[c])
            })
            .collect()
    }

    fn score_row(&self, column: &Column<'_>, row: usize) -> Row {
        match column {
            Column::Text(text) => match text.get(row) {
                None => Err(null_row()),
                Some(Ok(json)) => self.score_json(json),
                Some(Err(e)) => Err(TranscriptError::new(
                    TranscriptErrorKind::InvalidValue,
                    format!("the transcript is not UTF-8 text: {e}"),
                )),
            },
            Column::Struct(s) => {
                let t = s.transcript(row, self.limits())?;
                self.try_score(&t)
            }
        }
    }
}

fn null_row() -> TranscriptError {
    TranscriptError::new(TranscriptErrorKind::MissingField, "transcript is null")
}
