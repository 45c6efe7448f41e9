//! Rule kinds. Each kind is one module that owns everything about it: its typed options (the
//! public spec struct), how they are checked from rubric text and written back, what its
//! expressions compile to, its per-conversation state, and what it does on each turn and at the
//! end of a conversation. This module holds what they share — the [`Kind`] trait, the turn and
//! end contexts, windows — and the one registration list, [`rule_kinds!`], from which the kind
//! enums and the dispatch are generated.
//!
//! Adding a kind: write `rules/<kind>.rs` with a spec struct implementing [`Kind`] (and deriving
//! `JsonSchema`: its branch of the rubric's JSON Schema follows), add one line to the
//! `rule_kinds!` invocation below, regenerate `docs/rubric.schema.json` and document the kind in
//! docs/rubric.md. The compiler names anything forgotten: a missing trait item, and every
//! `match` over [`RuleKind`] or [`RuleSpec`] outside this crate's generated code (the bindings
//! have none).

mod duration;
mod forbid;
mod overlap;
mod repeat;
mod require;
mod respond;
mod response_time;
mod rule;
mod silence;
mod window;

use crate::redact::{Redactor, TurnRedaction};
use std::fmt;

use serde::ser::SerializeMap;

pub use duration::Duration;
pub use forbid::Forbid;
pub use overlap::Overlap;
pub use repeat::{Repeat, REPEAT_LOOKBACK};
pub use require::Require;
pub use respond::{AtEnd, Respond};
pub use response_time::ResponseTime;
pub use rule::Rule;
pub use silence::Silence;
pub(crate) use window::{InWindow, LastWindow};

use crate::check::{Checker, RuleNode};
use crate::explain::trace::{At, OutOf, Raw, Trace};
use crate::explain::{Measurement, Part};
use crate::matcher::{ExprId, Hit, MatchCompiler, Matcher, TurnScratch};
use crate::model::{Common, MatchExpr};
use crate::options::Role;
use crate::report::{Finding, Span};

/// What a rule kind is made of. One implementation per module of `rules/`.
///
/// Its [`JsonSchema`](schemars::JsonSchema) (derived on the spec struct, with the fields' doc
/// comments as descriptions) is the kind's own part of its branch of the rubric schema.
pub(crate) trait Kind:
    Sized + Clone + fmt::Debug + PartialEq + Send + Sync + schemars::JsonSchema + 'static
{
    /// The kind's name in a rubric (`kind: forbid`).
    const NAME: &'static str;
    /// The kind's own fields (beyond those every rule has).
    const FIELDS: &'static [&'static str];
    /// Whether the kind takes `window`.
    const TAKES_WINDOW: bool;
    /// Whether the kind matches text, and so takes `negation`, `word` and `except`.
    const MATCHES_TEXT: bool;
    /// Whether the kind needs turn timestamps (skipped on a transcript without any).
    const TIMED: bool;

    /// What the kind's expressions compile to.
    type Compiled: fmt::Debug + Send + Sync;
    /// What the kind remembers within one conversation.
    type State: fmt::Debug + Default + Send;

    /// Reads the kind's fields from a rule's mapping (unknown fields are already reported).
    fn check(c: &mut Checker<'_>, rule: &RuleNode<'_>) -> Option<Self>;

    /// Writes the kind's fields, as [`Kind::check`] reads them.
    fn serialize_fields<M: SerializeMap>(&self, m: &mut M) -> Result<(), M::Error>;

    /// The kind's match expressions (`except` aside).
    fn exprs(&self) -> Vec<&MatchExpr> {
        Vec::new()
    }

    /// Whether a rule of this kind needs timestamps (beyond its `window`).
    fn needs_timestamps(&self) -> bool {
        Self::TIMED
    }

    /// Points added when the rule is met.
    fn bonus(&self) -> f64 {
        0.0
    }

    /// Compiles the kind's expressions into the shared matcher.
    fn compile(&self, common: &Common, m: &mut MatchCompiler<'_>) -> Self::Compiled;

    /// The kind's compiled expressions and the part of the rule each one is (for `explain`).
    fn roots(_rule: &Compiled<Self>) -> Vec<(Part, ExprId)> {
        Vec::new()
    }

    /// The expression whose phrase hits are the only turns the rule needs to see, or `None`
    /// when it must see every turn.
    fn gate(_rule: &Compiled<Self>) -> Option<ExprId> {
        None
    }

    /// Runs on a turn.
    fn on_turn(rule: &Compiled<Self>, state: &mut Self::State, cx: &mut TurnCx<'_>);

    /// Runs at the end of the conversation.
    fn on_end(_rule: &Compiled<Self>, _state: &mut Self::State, _cx: &mut EndCx<'_>) {}

    /// Whether the rule was met (for its bonus).
    fn met(_rule: &Compiled<Self>, _state: &Self::State) -> bool {
        false
    }
}

/// One rule of a kind, compiled: its shared fields, its spec, its compiled expressions and the
/// finding it makes (without a place).
#[derive(Debug)]
pub(crate) struct Compiled<K: Kind> {
    /// The rule's index in rubric order.
    pub index: usize,
    pub common: Common,
    pub spec: K,
    pub exprs: K::Compiled,
    /// `except`, compiled.
    pub except: Option<ExprId>,
    template: Finding,
}

impl<K: Kind> Compiled<K> {
    fn new(index: usize, rule: &Rule, spec: &K, m: &mut MatchCompiler<'_>) -> Compiled<K> {
        let common = rule.common.clone();
        let exprs = spec.compile(&common, m);
        let except = m.except(&common.except);
        let template = Finding {
            rule: common.id.clone(),
            name: rule.display_name().to_string(),
            kind: rule.kind(),
            category: common.category.clone(),
            severity: common.severity,
            deduct: common.deduct,
            fatal: common.fatal,
            alert: common.alert,
            turn: None,
            start: None,
            end: None,
            text: None,
            message: common.message.clone(),
            span: None,
        };
        Compiled {
            index,
            common,
            spec: spec.clone(),
            exprs,
            except,
            template,
        }
    }

    /// A whole-conversation finding (`turn: null`).
    pub fn finding(&self) -> Finding {
        self.template.clone()
    }

    /// A finding at a turn, without evidence (timing rules).
    pub fn finding_at(&self, turn: usize) -> Finding {
        let mut f = self.template.clone();
        f.turn = Some(turn);
        f
    }
}

/// One turn, as the rules see it.
pub(crate) struct TurnCx<'a> {
    pub index: usize,
    pub role: Role,
    pub start: Option<f64>,
    pub end: Option<f64>,
    /// The turn's original text.
    pub text: &'a str,
    /// The speaker label, trimmed.
    pub speaker: &'a str,
    /// Turns of each role before this one: agent, customer, other.
    pub role_counts: [usize; 3],
    /// The turn before.
    pub prev: Option<&'a PrevTurn>,
    pub(crate) matcher: &'a Matcher,
    pub(crate) scratch: &'a mut TurnScratch,
    /// The matches of the last [`TurnCx::eval`].
    pub(crate) spans: &'a mut Vec<Hit>,
    pub(crate) findings: &'a mut Vec<(usize, Finding)>,
    /// The rubric's `redact` and this turn's masking, when outputs are masked.
    pub(crate) redaction: Option<(&'a Redactor, &'a mut TurnRedaction)>,
    cursor: OffsetCursor,
}

/// What a turn leaves for the next one.
#[derive(Debug, Clone, Default)]
pub(crate) struct PrevTurn {
    pub speaker: String,
    pub end: Option<f64>,
    pub end_or_start: Option<f64>,
}

impl<'a> TurnCx<'a> {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        index: usize,
        role: Role,
        (start, end): (Option<f64>, Option<f64>),
        text: &'a str,
        speaker: &'a str,
        role_counts: [usize; 3],
        prev: Option<&'a PrevTurn>,
        matcher: &'a Matcher,
        scratch: &'a mut TurnScratch,
        spans: &'a mut Vec<Hit>,
        findings: &'a mut Vec<(usize, Finding)>,
        redaction: Option<(&'a Redactor, &'a mut TurnRedaction)>,
    ) -> TurnCx<'a> {
        TurnCx {
            index,
            role,
            start,
            end,
            text,
            speaker,
            role_counts,
            prev,
            matcher,
            scratch,
            spans,
            findings,
            redaction,
            cursor: OffsetCursor::default(),
        }
    }

    /// Whether `expr` could match this turn at all (cheap).
    pub fn may_match(&self, expr: ExprId) -> bool {
        self.matcher.may_match(expr, self.scratch)
    }

    /// Evaluates an expression on this turn into [`TurnCx::spans`], minus the matches that
    /// overlap one of `except`; whether anything is left.
    ///
    /// `except` applies to each match before overlapping matches are merged: of `ab` and `bc`
    /// in `abc` with `except: [c]`, `ab` stands.
    pub fn eval(&mut self, expr: ExprId, except: Option<ExprId>) -> bool {
        match except {
            Some(ex) if self.matcher.may_match(ex, self.scratch) => {
                self.matcher.eval_unmerged(expr, self.scratch, self.spans);
                if !self.spans.is_empty() {
                    let mut excepted = Vec::new();
                    self.matcher.eval_unmerged(ex, self.scratch, &mut excepted);
                    if self.scratch.trace.is_some() {
                        self.note_except(expr, &excepted);
                    }
                    self.spans
                        .retain(|s| !excepted.iter().any(|e| e.overlaps(*s)));
                    crate::matcher::merge(self.spans);
                }
            }
            _ => self.matcher.eval(expr, self.scratch, self.spans),
        }
        if self.scratch.trace.is_some() {
            self.note_eval(expr);
        }
        !self.spans.is_empty()
    }

    /// A match in this turn's original text (for a trace).
    pub(crate) fn at(&self, hit: Hit) -> At {
        At::of(self.index, self.text, &self.scratch.norm, hit)
    }

    /// The trace of an explained run (`None` when scoring).
    pub(crate) fn trace(&mut self) -> Option<&mut Trace> {
        self.scratch.trace.as_deref_mut()
    }

    /// Notes the matches of `expr` that `except` drops (before they are dropped).
    #[cold]
    #[inline(never)]
    fn note_except(&mut self, expr: ExprId, excepted: &[Hit]) {
        let (index, text) = (self.index, self.text);
        let Some(trace) = self.scratch.trace.as_deref_mut() else {
            return;
        };
        let norm = &self.scratch.norm;
        for s in self.spans.iter() {
            if let Some(e) = excepted.iter().find(|e| e.overlaps(*s)) {
                trace.note(Raw::Except {
                    expr,
                    at: At::of(index, text, norm, *s),
                    by: At::of(index, text, norm, *e),
                });
            }
        }
    }

    /// Notes what `expr` matched on this turn (after `except`).
    #[cold]
    #[inline(never)]
    fn note_eval(&mut self, expr: ExprId) {
        let (index, text) = (self.index, self.text);
        let Some(trace) = self.scratch.trace.as_deref_mut() else {
            return;
        };
        let norm = &self.scratch.norm;
        let kept = self.spans.iter().map(|s| At::of(index, text, norm, *s));
        trace.note(Raw::Eval {
            expr,
            turn: index,
            kept: kept.collect(),
        });
    }

    /// Notes that a part of `rule` did not look at this turn, and why (explained runs only).
    pub fn note_out_of_scope<K: Kind>(&mut self, rule: &Compiled<K>, part: Part, why: OutOf) {
        let (index, speaker) = (self.index, self.speaker);
        if let Some(trace) = self.trace() {
            trace.note(Raw::OutOfScope {
                rule: rule.index,
                part,
                turn: index,
                why,
                speaker: speaker.to_string(),
            });
        }
    }

    /// Notes a measurement of `rule` (explained runs only).
    pub fn note_measured<K: Kind>(&mut self, rule: &Compiled<K>, m: impl FnOnce() -> Measurement) {
        if let Some(trace) = self.trace() {
            trace.note(Raw::Measured {
                rule: rule.index,
                m: m(),
            });
        }
    }

    /// A finding of `rule` at this turn with the evidence `hit` (a match in the scanned text).
    pub fn evidence<K: Kind>(&mut self, rule: &Compiled<K>, hit: Hit) -> Finding {
        let bytes = self.scratch.original_range(hit);
        let body = &self.text[bytes.clone()];
        let (chars, utf16) = self.cursor.advance(self.text, bytes.start);
        let n = body.chars().count();
        let mut f = rule.finding_at(self.index);
        f.start = Some(chars);
        f.end = Some(chars + n);
        // the evidence leaves the engine masked; its offsets are the original text's
        f.text = Some(match &mut self.redaction {
            Some((redactor, turn)) => turn.evidence(redactor, self.text, bytes.clone()),
            None => body.to_string(),
        });
        f.span = Some(Span {
            bytes,
            chars: chars..chars + n,
            utf16: utf16..utf16 + body.encode_utf16().count(),
        });
        f
    }

    /// Records a finding that is certain now.
    pub fn push<K: Kind>(&mut self, rule: &Compiled<K>, f: Finding) {
        self.findings.push((rule.index, f));
    }

    /// This turn's 0-based number among turns of the rule's role.
    pub fn role_turn(&self, common: &Common) -> usize {
        match common.role {
            Role::Any => self.index,
            r => self.role_counts[r.slot()],
        }
    }

    /// Whether this turn (already known to be of the rule's role) is in the rule's window.
    pub fn window_state(&self, common: &Common) -> Option<InWindow> {
        window::state(self, common)
    }

    /// Whether this turn is in the rule's scope: of its role, and in its window (how).
    pub fn scope<K: Kind>(&mut self, rule: &Compiled<K>) -> Option<InWindow> {
        let common = &rule.common;
        if !common.role.covers(self.role) {
            self.note_out_of_scope(rule, Part::Match, OutOf::Role);
            return None;
        }
        let w = self.window_state(common);
        if w.is_none() {
            self.note_out_of_scope(rule, Part::Match, OutOf::Window);
        }
        w
    }

    /// The words of the normalized turn (for `repeat`).
    pub fn words(&self) -> std::collections::HashSet<String> {
        crate::segment::words(&self.scratch.norm.text)
            .into_iter()
            .map(str::to_string)
            .collect()
    }
}

/// The end of a conversation, as the rules see it.
pub(crate) struct EndCx<'a> {
    /// The first turn's start.
    pub first_start: Option<f64>,
    /// The last turn's end (or start).
    pub last_time: Option<f64>,
    pub(crate) findings: &'a mut Vec<(usize, Finding)>,
    /// The trace of an explained run (`None` when scoring).
    pub(crate) trace: Option<&'a mut Trace>,
}

impl EndCx<'_> {
    /// Records a finding.
    pub fn push<K: Kind>(&mut self, rule: &Compiled<K>, f: Finding) {
        self.findings.push((rule.index, f));
    }

    /// Notes something (explained runs only).
    pub(crate) fn note(&mut self, e: impl FnOnce() -> Raw) {
        if let Some(trace) = self.trace.as_deref_mut() {
            trace.note(e());
        }
    }
}

/// Where a turn's last finding was, so that the offsets of many findings in one long turn are
/// computed in one pass rather than each from the start.
#[derive(Debug, Default, Clone, Copy)]
struct OffsetCursor {
    byte: usize,
    chars: usize,
    utf16: usize,
}

impl OffsetCursor {
    /// Code points and UTF-16 units of `text[..byte]`.
    fn advance(&mut self, text: &str, byte: usize) -> (usize, usize) {
        if byte < self.byte {
            *self = OffsetCursor::default();
        }
        let step = &text[self.byte..byte];
        self.chars += step.chars().count();
        self.utf16 += step.encode_utf16().count();
        self.byte = byte;
        (self.chars, self.utf16)
    }
}

/// Generates, from one list of kinds, the public [`RuleKind`] and [`RuleSpec`] enums, the
/// compiled rules of an engine ([`CompiledRules`], one typed vector per kind) and the
/// per-conversation states ([`States`], one typed vector per kind, indexed alike), and the
/// dispatch between them. A rule's state lives at the same index of its kind's vector as its
/// compiled form, so the two can never be paired wrongly.
macro_rules! rule_kinds {
    ($($Variant:ident => $module:ident :: $Type:ident),+ $(,)?) => {
        /// What a rule checks.
        #[non_exhaustive]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum RuleKind {
            $(
                #[doc = concat!("`", stringify!($module), "`: see [`", stringify!($Type), "`].")]
                $Variant,
            )+
        }

        impl RuleKind {
            /// Every kind, in spec order.
            pub const ALL: &'static [RuleKind] = &[$(RuleKind::$Variant),+];

            /// The kind's name as written in a rubric.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(RuleKind::$Variant => <$Type as Kind>::NAME,)+
                }
            }

            /// The kind named `name` in a rubric.
            pub fn from_name(name: &str) -> Option<RuleKind> {
                RuleKind::ALL.iter().copied().find(|k| k.as_str() == name)
            }

            /// Every kind's name, in spec order.
            pub fn names() -> Vec<&'static str> {
                RuleKind::ALL.iter().map(|k| k.as_str()).collect()
            }

            /// The kind's own fields.
            pub fn fields(self) -> &'static [&'static str] {
                match self {
                    $(RuleKind::$Variant => <$Type as Kind>::FIELDS,)+
                }
            }

            /// Whether rules of this kind take `window`.
            pub fn takes_window(self) -> bool {
                match self {
                    $(RuleKind::$Variant => <$Type as Kind>::TAKES_WINDOW,)+
                }
            }

            /// Whether rules of this kind match text (and take `negation`, `word`, `except`).
            pub fn matches_text(self) -> bool {
                match self {
                    $(RuleKind::$Variant => <$Type as Kind>::MATCHES_TEXT,)+
                }
            }

            /// Whether the kind needs turn timestamps.
            pub fn needs_timestamps(self) -> bool {
                match self {
                    $(RuleKind::$Variant => <$Type as Kind>::TIMED,)+
                }
            }
        }

        impl fmt::Display for RuleKind {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        /// A rule's kind with the kind's own options.
        #[non_exhaustive]
        #[derive(Debug, Clone, PartialEq)]
        pub enum RuleSpec {
            $(
                #[doc = concat!("A `", stringify!($module), "` rule.")]
                $Variant($Type),
            )+
        }

        impl RuleSpec {
            /// The kind.
            pub fn kind(&self) -> RuleKind {
                match self {
                    $(RuleSpec::$Variant(_) => RuleKind::$Variant,)+
                }
            }

            /// The kind's match expressions (`except` aside).
            pub fn exprs(&self) -> Vec<&MatchExpr> {
                match self {
                    $(RuleSpec::$Variant(s) => s.exprs(),)+
                }
            }

            pub(crate) fn needs_timestamps(&self) -> bool {
                match self {
                    $(RuleSpec::$Variant(s) => s.needs_timestamps(),)+
                }
            }

            pub(crate) fn bonus(&self) -> f64 {
                match self {
                    $(RuleSpec::$Variant(s) => s.bonus(),)+
                }
            }

            pub(crate) fn serialize_fields<M: SerializeMap>(&self, m: &mut M) -> Result<(), M::Error> {
                match self {
                    $(RuleSpec::$Variant(s) => s.serialize_fields(m),)+
                }
            }
        }

        /// The rule schema's `oneOf` branches, one per kind (see [`crate::schema`]).
        pub(crate) fn kind_branches(g: &mut schemars::SchemaGenerator) -> Vec<serde_json::Value> {
            vec![$(crate::schema::kind_branch::<$Type>(g),)+]
        }

        /// Checks the fields of a rule of kind `kind`.
        pub(crate) fn check_spec(kind: RuleKind, c: &mut Checker<'_>, rule: &RuleNode<'_>) -> Option<RuleSpec> {
            match kind {
                $(RuleKind::$Variant => <$Type as Kind>::check(c, rule).map(RuleSpec::$Variant),)+
            }
        }

        /// Where a rule's compiled form and state are: its kind and its index in that kind's
        /// vectors.
        #[derive(Debug, Clone, Copy)]
        enum Slot {
            $($Variant(usize),)+
        }

        /// Every rule of an engine, compiled, by kind.
        #[derive(Debug)]
        #[allow(non_snake_case)]
        pub(crate) struct CompiledRules {
            slots: Vec<Slot>,
            $($Variant: Vec<Compiled<$Type>>,)+
        }

        /// The per-conversation state of every rule, by kind, at the same indices as
        /// [`CompiledRules`].
        #[derive(Debug)]
        #[allow(non_snake_case)]
        pub(crate) struct States {
            $($Variant: Vec<<$Type as Kind>::State>,)+
        }

        impl CompiledRules {
            /// Compiles every rule; the returned gates are, per rule, the expression whose hits
            /// wake it (`None`: it sees every turn).
            pub(crate) fn compile(rules: &[Rule], m: &mut MatchCompiler<'_>) -> (CompiledRules, Vec<Option<ExprId>>) {
                let mut out = CompiledRules {
                    slots: Vec::with_capacity(rules.len()),
                    $($Variant: Vec::new(),)+
                };
                let mut gates = Vec::with_capacity(rules.len());
                for (index, rule) in rules.iter().enumerate() {
                    match &rule.spec {
                        $(RuleSpec::$Variant(spec) => {
                            let compiled = Compiled::new(index, rule, spec, m);
                            gates.push(<$Type as Kind>::gate(&compiled));
                            out.slots.push(Slot::$Variant(out.$Variant.len()));
                            out.$Variant.push(compiled);
                        })+
                    }
                }
                (out, gates)
            }

            /// Fresh states for a new conversation.
            pub(crate) fn states(&self) -> States {
                States {
                    $($Variant: self.$Variant.iter().map(|_| Default::default()).collect(),)+
                }
            }

            /// Runs rule `r` on a turn.
            pub(crate) fn on_turn(&self, r: usize, states: &mut States, cx: &mut TurnCx<'_>) {
                match self.slots[r] {
                    $(Slot::$Variant(i) => <$Type as Kind>::on_turn(&self.$Variant[i], &mut states.$Variant[i], cx),)+
                }
            }

            /// Runs rule `r` at the end of the conversation.
            pub(crate) fn on_end(&self, r: usize, states: &mut States, cx: &mut EndCx<'_>) {
                match self.slots[r] {
                    $(Slot::$Variant(i) => <$Type as Kind>::on_end(&self.$Variant[i], &mut states.$Variant[i], cx),)+
                }
            }

            /// Rule `r`'s compiled `except`, if it has one.
            pub(crate) fn except(&self, r: usize) -> Option<ExprId> {
                match self.slots[r] {
                    $(Slot::$Variant(i) => self.$Variant[i].except,)+
                }
            }

            /// Rule `r`'s compiled expressions and the part each is, `except` included (for
            /// `explain`).
            pub(crate) fn roots(&self, r: usize) -> Vec<(Part, ExprId)> {
                let (mut roots, except) = match self.slots[r] {
                    $(Slot::$Variant(i) => {
                        let c = &self.$Variant[i];
                        (<$Type as Kind>::roots(c), c.except)
                    })+
                };
                roots.extend(except.map(|e| (Part::Except, e)));
                roots
            }

            /// Whether rule `r` was met, at the end.
            pub(crate) fn met(&self, r: usize, states: &States) -> bool {
                match self.slots[r] {
                    $(Slot::$Variant(i) => <$Type as Kind>::met(&self.$Variant[i], &states.$Variant[i]),)+
                }
            }
        }
    };
}

rule_kinds! {
    Forbid => forbid::Forbid,
    Require => require::Require,
    Respond => respond::Respond,
    ResponseTime => response_time::ResponseTime,
    Silence => silence::Silence,
    Overlap => overlap::Overlap,
    Duration => duration::Duration,
    Repeat => repeat::Repeat,
}
