//! Building the report rows (the schema of [`super::report_schema`]).

use std::sync::Arc;

use arrow_array::builder::{BooleanBuilder, Float64Builder, Int64Builder, StringBuilder};
use arrow_array::{ArrayRef, ListArray, RecordBatch, StructArray};
use arrow_buffer::{NullBuffer, OffsetBuffer};

use super::{finding_fields, finding_item, report_schema, ColumnError, Row};

/// The report rows of `rows`, in order.
pub(crate) fn batch(rows: &[Row]) -> Result<RecordBatch, ColumnError> {
    let n = rows.len();
    let mut id = StringBuilder::with_capacity(n, 8 * n);
    let mut agent = StringBuilder::with_capacity(n, 4 * n);
    let mut channel = StringBuilder::with_capacity(n, 4 * n);
    let mut score = Float64Builder::with_capacity(n);
    let mut passed = BooleanBuilder::with_capacity(n);
    let mut fatal = BooleanBuilder::with_capacity(n);
    let mut error = StringBuilder::new();
    let mut findings = Findings::default();
    let mut offsets = Vec::with_capacity(n + 1);
    offsets.push(0i32);
    let mut valid = Vec::with_capacity(n);
    for row in rows {
        match row {
            Ok(report) => {
                id.append_option(report.id.as_deref());
                agent.append_option(report.agent.as_deref());
                channel.append_option(report.channel.as_deref());
                score.append_value(report.score);
                passed.append_value(report.passed);
                fatal.append_value(report.fatal);
                for f in &report.findings {
                    findings.push(f);
                }
                valid.push(true);
                error.append_null();
            }
            Err(e) => {
                id.append_null();
                agent.append_null();
                channel.append_null();
                score.append_null();
                passed.append_null();
                fatal.append_null();
                valid.push(false);
                error.append_value(e.to_string());
            }
        }
        let count = i32::try_from(findings.len).map_err(|_| {
            ColumnError::new("over 2^31 findings in one batch: use smaller batches")
        })?;
        offsets.push(count);
    }
    let list = ListArray::try_new(
        finding_item(),
        OffsetBuffer::new(offsets.into()),
        Arc::new(findings.finish()),
        Some(NullBuffer::from(valid)),
    )
    .map_err(|e| ColumnError::new(format!("cannot build the findings: {e}")))?;
    let columns: Vec<ArrayRef> = vec![
        Arc::new(id.finish()),
        Arc::new(agent.finish()),
        Arc::new(channel.finish()),
        Arc::new(score.finish()),
        Arc::new(passed.finish()),
        Arc::new(fatal.finish()),
        Arc::new(list),
        Arc::new(error.finish()),
    ];
    RecordBatch::try_new(report_schema(), columns)
        .map_err(|e| ColumnError::new(format!("cannot build the report rows: {e}")))
}

/// The findings of a batch, column by column.
#[derive(Default)]
struct Findings {
    len: usize,
    rule: StringBuilder,
    kind: StringBuilder,
    severity: StringBuilder,
    deduct: Float64Builder,
    turn: Int64Builder,
    start: Int64Builder,
    end: Int64Builder,
    text: StringBuilder,
}

impl Findings {
    fn push(&mut self, f: &crate::report::Finding) {
        let int = |n: Option<usize>| n.map(|n| n as i64);
        self.len += 1;
        self.rule.append_value(&f.rule);
        self.kind.append_value(f.kind.as_str());
        self.severity.append_value(f.severity.as_str());
        self.deduct.append_value(f.deduct);
        self.turn.append_option(int(f.turn));
        self.start.append_option(int(f.start));
        self.end.append_option(int(f.end));
        self.text.append_option(f.text.as_deref());
    }

    fn finish(mut self) -> StructArray {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.rule.finish()),
            Arc::new(self.kind.finish()),
            Arc::new(self.severity.finish()),
            Arc::new(self.deduct.finish()),
            Arc::new(self.turn.finish()),
            Arc::new(self.start.finish()),
            Arc::new(self.end.finish()),
            Arc::new(self.text.finish()),
        ];
        StructArray::new(finding_fields(), columns, None)
    }
}
