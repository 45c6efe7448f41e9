//! What the kind modules read a rule through: its mapping ([`RuleNode`]) and the check that a
//! field the kind needs is there.

use super::{get, Checker, Entries};
use crate::error::RubricErrorKind as K;
use crate::source::{Node, Pos};

/// A rule's mapping, for the kind modules: its place and entries.
pub(crate) struct RuleNode<'n> {
    pub pos: Pos,
    pub entries: Entries<'n>,
}

impl<'n> RuleNode<'n> {
    /// The value of a field, if given.
    pub fn get(&self, key: &str) -> Option<&'n Node> {
        get(self.entries, key)
    }
}

impl Checker<'_> {
    /// Reports a field a kind needs when it is missing; whether it is there.
    pub(crate) fn need(&mut self, rule: &RuleNode<'_>, field: &str) -> bool {
        if rule.get(field).is_some() {
            return true;
        }
        let kind = self.kind;
        self.err(
            K::MissingField,
            rule.pos,
            format!("missing field `{field}` (rules of kind `{kind}` need it)"),
        );
        false
    }
}
