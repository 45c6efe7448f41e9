//! Reading transcripts from an Arrow column, row by row: JSON text handed to the core's limited
//! JSON reader, or structs read field by field with the limits checked.

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float16Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type,
    UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{Array, GenericListArray, OffsetSizeTrait, StructArray};
use arrow_schema::DataType;
use serde_json::{Map, Value};

use super::ColumnError;
use crate::error::{TranscriptError, TranscriptErrorKind as TK};
use crate::limits::Limits;
use crate::transcript::{check_turn, Transcript, Turn};

/// A column, its type checked once, for reading rows.
pub(crate) enum Column<'a> {
    /// One transcript's JSON text per row.
    Text(Text<'a>),
    /// One transcript's fields per row.
    Struct(Box<StructColumn<'a>>),
}

impl<'a> Column<'a> {
    pub(crate) fn new(array: &'a dyn Array) -> Result<Column<'a>, ColumnError> {
        if let Some(text) = Text::new(array) {
            return Ok(Column::Text(text));
        }
        match array.as_struct_opt() {
            Some(s) => Ok(Column::Struct(Box::new(StructColumn::new(s)?))),
            None => Err(unsupported(array.data_type())),
        }
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            Column::Text(t) => t.len(),
            Column::Struct(s) => s.array.len(),
        }
    }
}

fn unsupported(t: &DataType) -> ColumnError {
    ColumnError::new(format!(
        "a column of {} holds no transcripts: use JSON text (utf8, large_utf8, utf8_view, \
         binary, large_binary) or structs with `turns`",
        type_label(t)
    ))
}

/// A type as Arrow's Python and C++ name it (`int64`, `large_utf8`).
fn type_label(t: &DataType) -> String {
    t.to_string().to_lowercase()
}

/// The type check of [`super::accepts`], without a column.
pub(crate) fn check_type(t: &DataType) -> Result<(), ColumnError> {
    let empty = arrow_array::new_empty_array(t);
    Column::new(empty.as_ref()).map(|_| ())
}

/// Text of any Arrow string or binary type.
#[derive(Clone, Copy)]
pub(crate) enum Text<'a> {
    Utf8(&'a arrow_array::StringArray),
    LargeUtf8(&'a arrow_array::LargeStringArray),
    Utf8View(&'a arrow_array::StringViewArray),
    Binary(&'a arrow_array::BinaryArray),
    LargeBinary(&'a arrow_array::LargeBinaryArray),
    BinaryView(&'a arrow_array::BinaryViewArray),
}

impl<'a> Text<'a> {
    pub(crate) fn new(array: &'a dyn Array) -> Option<Text<'a>> {
        Some(match array.data_type() {
            DataType::Utf8 => Text::Utf8(array.as_string::<i32>()),
            DataType::LargeUtf8 => Text::LargeUtf8(array.as_string::<i64>()),
            DataType::Utf8View => Text::Utf8View(array.as_string_view()),
            DataType::Binary => Text::Binary(array.as_binary::<i32>()),
            DataType::LargeBinary => Text::LargeBinary(array.as_binary::<i64>()),
            DataType::BinaryView => Text::BinaryView(array.as_binary_view()),
            _ => return None,
        })
    }

    fn array(&self) -> &'a dyn Array {
        match *self {
            Text::Utf8(a) => a,
            Text::LargeUtf8(a) => a,
            Text::Utf8View(a) => a,
            Text::Binary(a) => a,
            Text::LargeBinary(a) => a,
            Text::BinaryView(a) => a,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.array().len()
    }

    /// Row `i`: `None` when null, an error when binary that is not UTF-8.
    pub(crate) fn get(&self, i: usize) -> Option<Result<&'a str, std::str::Utf8Error>> {
        if self.array().is_null(i) {
            return None;
        }
        Some(match *self {
            Text::Utf8(a) => Ok(a.value(i)),
            Text::LargeUtf8(a) => Ok(a.value(i)),
            Text::Utf8View(a) => Ok(a.value(i)),
            Text::Binary(a) => std::str::from_utf8(a.value(i)),
            Text::LargeBinary(a) => std::str::from_utf8(a.value(i)),
            Text::BinaryView(a) => std::str::from_utf8(a.value(i)),
        })
    }
}

/// `id`, `agent`, `channel`: text, or integers kept as their text (as the JSON reader keeps
/// numbers).
enum Label<'a> {
    Text(Text<'a>),
    Number(&'a dyn Array),
}

impl<'a> Label<'a> {
    fn new(array: &'a dyn Array, field: &str) -> Result<Label<'a>, ColumnError> {
        if let Some(t) = Text::new(array) {
            return Ok(Label::Text(t));
        }
        if array.data_type().is_integer() || array.data_type().is_null() {
            return Ok(Label::Number(array));
        }
        Err(ColumnError::new(format!(
            "`{field}` must be text or an integer, found {}",
            type_label(array.data_type())
        )))
    }

    fn get(&self, i: usize, field: &str) -> Result<Option<String>, TranscriptError> {
        match self {
            Label::Text(t) => match t.get(i) {
                None => Ok(None),
                Some(Ok(s)) => Ok(Some(s.to_string())),
                Some(Err(e)) => Err(TranscriptError::new(
                    TK::InvalidValue,
                    format!("`{field}` is not UTF-8 text: {e}"),
                )
                .with_field(field)),
            },
            Label::Number(a) => Ok(number(*a, i).map(|n| match n {
                Number::Int(n) => n.to_string(),
                Number::UInt(n) => n.to_string(),
                Number::Float(n) => n.to_string(),
            })),
        }
    }
}

/// A number read from any Arrow integer or float array.
enum Number {
    Int(i64),
    UInt(u64),
    Float(f64),
}

impl Number {
    fn as_f64(&self) -> f64 {
        match *self {
            Number::Int(n) => n as f64,
            Number::UInt(n) => n as f64,
            Number::Float(n) => n,
        }
    }
}

fn is_number(t: &DataType) -> bool {
    t.is_integer() || matches!(t, DataType::Float16 | DataType::Float32 | DataType::Float64)
}

/// Row `i` of a numeric array; `None` when null (or the array is of type null).
fn number(a: &dyn Array, i: usize) -> Option<Number> {
    if a.is_null(i) {
        return None;
    }
    Some(match a.data_type() {
        DataType::Int8 => Number::Int(a.as_primitive::<Int8Type>().value(i).into()),
        DataType::Int16 => Number::Int(a.as_primitive::<Int16Type>().value(i).into()),
        DataType::Int32 => Number::Int(a.as_primitive::<Int32Type>().value(i).into()),
        DataType::Int64 => Number::Int(a.as_primitive::<Int64Type>().value(i)),
        DataType::UInt8 => Number::UInt(a.as_primitive::<UInt8Type>().value(i).into()),
        DataType::UInt16 => Number::UInt(a.as_primitive::<UInt16Type>().value(i).into()),
        DataType::UInt32 => Number::UInt(a.as_primitive::<UInt32Type>().value(i).into()),
        DataType::UInt64 => Number::UInt(a.as_primitive::<UInt64Type>().value(i)),
        DataType::Float16 => Number::Float(a.as_primitive::<Float16Type>().value(i).to_f64()),
        DataType::Float32 => Number::Float(a.as_primitive::<Float32Type>().value(i).into()),
        DataType::Float64 => Number::Float(a.as_primitive::<Float64Type>().value(i)),
        _ => return None,
    })
}

/// `meta`: JSON text of an object, or a struct of plain values.
enum Meta<'a> {
    Text(Text<'a>),
    Struct(&'a StructArray),
}

impl<'a> Meta<'a> {
    fn new(array: &'a dyn Array) -> Result<Meta<'a>, ColumnError> {
        if let Some(t) = Text::new(array) {
            return Ok(Meta::Text(t));
        }
        let Some(s) = array.as_struct_opt() else {
            return Err(ColumnError::new(format!(
                "`meta` must be JSON text or a struct, found {}",
                type_label(array.data_type())
            )));
        };
        check_plain(s, "meta")?;
        Ok(Meta::Struct(s))
    }

    fn get(
        &self,
        i: usize,
        limits: &Limits,
    ) -> Result<Option<Map<String, Value>>, TranscriptError> {
        match self {
            Meta::Text(t) => {
                let text = match t.get(i) {
                    None => return Ok(None),
                    Some(Ok(text)) => text,
                    Some(Err(e)) => {
                        return Err(TranscriptError::new(
                            TK::InvalidValue,
                            format!("`meta` is not UTF-8 text: {e}"),
                        )
                        .with_field("meta"))
                    }
                };
                if text.len() > limits.max_meta_bytes.saturating_mul(2) {
                    return Err(TranscriptError::new(
                        TK::MetaTooLarge,
                        format!(
                            "`meta` is {} bytes of JSON, over the limit of {}",
                            text.len(),
                            limits.max_meta_bytes
                        ),
                    )
                    .with_field("meta"));
                }
                let value: Value = serde_json::from_str(text).map_err(|e| {
                    let kind = crate::transcript::json_error_kind(&e);
                    TranscriptError::new(kind, format!("`meta` is not valid JSON: {e}"))
                        .with_field("meta")
                })?;
                match value {
                    Value::Null => Ok(None),
                    Value::Object(m) => Ok(Some(m)),
                    other => Err(TranscriptError::new(
                        TK::WrongType,
                        format!(
                            "`meta` must be an object, found {}",
                            crate::transcript::type_name(&other)
                        ),
                    )
                    .with_field("meta")),
                }
            }
            Meta::Struct(s) => {
                if s.is_null(i) {
                    return Ok(None);
                }
                Ok(Some(plain_object(s, i)))
            }
        }
    }
}

/// Checks that a struct holds only plain values (text, numbers, booleans, nulls, and structs
/// of them), naming the first field that does not.
fn check_plain(s: &StructArray, path: &str) -> Result<(), ColumnError> {
    for (field, column) in s.fields().iter().zip(s.columns()) {
        let t = column.data_type();
        let here = format!("{path}.{}", field.name());
        if let Some(inner) = column.as_struct_opt() {
            check_plain(inner, &here)?;
        } else if !(Text::new(column.as_ref()).is_some()
            || is_number(t)
            || matches!(t, DataType::Boolean | DataType::Null))
        {
            return Err(ColumnError::new(format!(
                "`{here}` must be text, a number, a boolean or a struct of them, found {}",
                type_label(t)
            )));
        }
    }
    Ok(())
}

/// Row `i` of a struct of plain values (see [`check_plain`]) as a JSON object.
fn plain_object(s: &StructArray, i: usize) -> Map<String, Value> {
    let mut m = Map::new();
    for (field, column) in s.fields().iter().zip(s.columns()) {
        let v = if column.is_null(i) {
            Value::Null
        } else if let Some(inner) = column.as_struct_opt() {
            Value::Object(plain_object(inner, i))
        } else if let Some(t) = Text::new(column.as_ref()) {
            match t.get(i) {
                Some(Ok(s)) => Value::String(s.to_string()),
                Some(Err(_)) => Value::String(
                    String::from_utf8_lossy(binary_bytes(column.as_ref(), i)).into_owned(),
                ),
                None => Value::Null,
            }
        } else if let DataType::Boolean = column.data_type() {
            Value::Bool(column.as_boolean().value(i))
        } else {
            match number(column.as_ref(), i) {
                Some(Number::Int(n)) => n.into(),
                Some(Number::UInt(n)) => n.into(),
                Some(Number::Float(n)) => {
                    serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
                }
                None => Value::Null,
            }
        };
        m.insert(field.name().clone(), v);
    }
    m
}

/// The bytes of row `i` of a binary array (empty for other types).
fn binary_bytes(a: &dyn Array, i: usize) -> &[u8] {
    match a.data_type() {
        DataType::Binary => a.as_binary::<i32>().value(i),
        DataType::LargeBinary => a.as_binary::<i64>().value(i),
        DataType::BinaryView => a.as_binary_view().value(i),
        _ => &[],
    }
}

/// The `turns` list, of either offset size.
enum Turns<'a> {
    List(&'a GenericListArray<i32>),
    Large(&'a GenericListArray<i64>),
}

impl Turns<'_> {
    fn is_null(&self, i: usize) -> bool {
        match self {
            Turns::List(l) => l.is_null(i),
            Turns::Large(l) => l.is_null(i),
        }
    }

    /// The range of row `i` in the turn structs.
    fn range(&self, i: usize) -> std::ops::Range<usize> {
        fn of<O: OffsetSizeTrait>(l: &GenericListArray<O>, i: usize) -> std::ops::Range<usize> {
            let o = l.value_offsets();
            o[i].as_usize()..o[i + 1].as_usize()
        }
        match self {
            Turns::List(l) => of(l, i),
            Turns::Large(l) => of(l, i),
        }
    }
}

/// The fields of the turn structs.
struct TurnFields<'a> {
    turns: &'a StructArray,
    speaker: Text<'a>,
    text: Text<'a>,
    start: Option<&'a dyn Array>,
    end: Option<&'a dyn Array>,
}

/// A struct column of transcripts, its fields found once.
pub(crate) struct StructColumn<'a> {
    pub(crate) array: &'a StructArray,
    id: Option<Label<'a>>,
    agent: Option<Label<'a>>,
    channel: Option<Label<'a>>,
    meta: Option<Meta<'a>>,
    list: Turns<'a>,
    fields: TurnFields<'a>,
}

impl<'a> StructColumn<'a> {
    fn new(array: &'a StructArray) -> Result<StructColumn<'a>, ColumnError> {
        let child = |name: &str| array.column_by_name(name).map(|c| c.as_ref());
        let label = |name: &str| child(name).map(|c| Label::new(c, name)).transpose();
        let turns = child("turns").ok_or_else(|| {
            let names: Vec<&str> = array.fields().iter().map(|f| f.name().as_str()).collect();
            ColumnError::new(format!(
                "a struct column of transcripts needs a field `turns`; its fields are [{}]",
                names.join(", ")
            ))
        })?;
        let (list, values) = match turns.data_type() {
            DataType::List(_) => {
                let l = turns.as_list::<i32>();
                (Turns::List(l), l.values().as_ref())
            }
            DataType::LargeList(_) => {
                let l = turns.as_list::<i64>();
                (Turns::Large(l), l.values().as_ref())
            }
            other => {
                return Err(ColumnError::new(format!(
                    "`turns` must be a list of structs, found {}",
                    type_label(other)
                )))
            }
        };
        let Some(turn) = values.as_struct_opt() else {
            return Err(ColumnError::new(format!(
                "`turns` must be a list of structs, found a list of {}",
                type_label(values.data_type())
            )));
        };
        let text_field = |name: &str| -> Result<Text<'a>, ColumnError> {
            let c = turn.column_by_name(name).ok_or_else(|| {
                ColumnError::new(format!("the turn structs need a field `{name}`"))
            })?;
            Text::new(c.as_ref()).ok_or_else(|| {
                ColumnError::new(format!(
                    "`turns.{name}` must be text, found {}",
                    type_label(c.data_type())
                ))
            })
        };
        let time_field = |name: &str| -> Result<Option<&'a dyn Array>, ColumnError> {
            match turn.column_by_name(name) {
                None => Ok(None),
                Some(c) if is_number(c.data_type()) || c.data_type().is_null() => {
                    Ok(Some(c.as_ref()))
                }
                Some(c) => Err(ColumnError::new(format!(
                    "`turns.{name}` must be a number of seconds, found {}",
                    type_label(c.data_type())
                ))),
            }
        };
        let fields = TurnFields {
            turns: turn,
            speaker: text_field("speaker")?,
            text: text_field("text")?,
            start: time_field("start")?,
            end: time_field("end")?,
        };
        Ok(StructColumn {
            array,
            id: label("id")?,
            agent: label("agent")?,
            channel: label("channel")?,
            meta: child("meta").map(Meta::new).transpose()?,
            list,
            fields,
        })
    }

    /// Row `i` as a transcript, checked against `limits` while it is read.
    pub(crate) fn transcript(
        &self,
        i: usize,
        limits: &Limits,
    ) -> Result<Transcript, TranscriptError> {
        if self.array.is_null(i) {
            return Err(super::null_row());
        }
        let label = |l: &Option<Label<'_>>, field: &str| match l {
            Some(l) => l.get(i, field),
            None => Ok(None),
        };
        let id = label(&self.id, "id")?;
        let agent = label(&self.agent, "agent")?;
        let channel = label(&self.channel, "channel")?;
        let meta = match &self.meta {
            Some(m) => m.get(i, limits)?,
            None => None,
        };
        if self.list.is_null(i) {
            return Err(TranscriptError::new(
                TK::WrongType,
                "`turns` must be an array, found null",
            )
            .with_field("turns"));
        }
        let range = self.list.range(i);
        if range.len() > limits.max_turns {
            return Err(TranscriptError::new(
                TK::TooManyTurns,
                format!(
                    "the transcript has {} turns, over the limit of {}",
                    range.len(),
                    limits.max_turns
                ),
            )
            .with_field("turns"));
        }
        let mut turns = Vec::with_capacity(range.len());
        for (index, row) in range.enumerate() {
            let turn = self.turn(row, index)?;
            check_turn(limits, &turn, index)?;
            turns.push(turn);
        }
        Ok(Transcript {
            id,
            agent,
            channel,
            meta,
            turns,
        })
    }

    /// Turn `index` of its transcript, row `row` of the turn structs.
    fn turn(&self, row: usize, index: usize) -> Result<Turn, TranscriptError> {
        let f = &self.fields;
        if f.turns.is_null(row) {
            return Err(TranscriptError::new(
                TK::WrongType,
                format!("turn {index} must be an object, found null"),
            )
            .at_turn(index));
        }
        let text = |t: &Text<'_>, field: &str| -> Result<String, TranscriptError> {
            match t.get(row) {
                Some(Ok(s)) => Ok(s.to_string()),
                None => Err(TranscriptError::new(
                    TK::WrongType,
                    format!("`{field}` must be a string, found null"),
                )
                .at_turn(index)
                .with_field(field)),
                Some(Err(e)) => Err(TranscriptError::new(
                    TK::InvalidValue,
                    format!("`{field}` is not UTF-8 text: {e}"),
                )
                .at_turn(index)
                .with_field(field)),
            }
        };
        let time = |a: Option<&dyn Array>, field: &str| -> Result<Option<f64>, TranscriptError> {
            let Some(n) = a.and_then(|a| number(a, row)) else {
                return Ok(None);
            };
            match n.as_f64() {
                x if x.is_finite() && x >= 0.0 => Ok(Some(x)),
                x => Err(TranscriptError::new(
                    TK::InvalidValue,
                    format!("`{field}` must be a non-negative number of seconds, found {x}"),
                )
                .at_turn(index)
                .with_field(field)),
            }
        };
        Ok(Turn {
            speaker: text(&f.speaker, "speaker")?,
            text: text(&f.text, "text")?,
            start: time(f.start, "start")?,
            end: time(f.end, "end")?,
        })
    }
}
