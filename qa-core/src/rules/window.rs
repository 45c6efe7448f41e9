//! `window`: which turns of a rule's role count, shared by the kinds that take it.

use std::collections::VecDeque;

use super::TurnCx;
use crate::model::Common;
use crate::options::Window;
use crate::report::Finding;

/// Whether a turn is in a rule's window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InWindow {
    /// In the window now.
    Yes,
    /// Maybe: `last: N`, known at the end.
    Last,
}

/// Whether the turn (already known to be of the rule's role) is in the rule's window.
pub(super) fn state(cx: &TurnCx<'_>, common: &Common) -> Option<InWindow> {
    match common.window {
        None => Some(InWindow::Yes),
        Some(Window::First(n)) => (cx.role_turn(common) < n).then_some(InWindow::Yes),
        Some(Window::Last(_)) => Some(InWindow::Last),
        Some(Window::Turns(a, b)) => (a <= cx.index && cx.index <= b).then_some(InWindow::Yes),
        Some(Window::Seconds(a, b)) => cx
            .start
            .is_some_and(|s| a <= s && s <= b)
            .then_some(InWindow::Yes),
    }
}

/// Findings waiting for the end of the conversation because their rule's window is `last: N`:
/// the findings of the role's last N turns seen so far.
#[derive(Debug, Default)]
pub(crate) struct LastWindow {
    turns: VecDeque<Vec<Finding>>,
}

impl LastWindow {
    /// Records one turn of the role (with its findings, maybe none).
    pub fn record(&mut self, common: &Common, found: Vec<Finding>) {
        let Some(Window::Last(n)) = common.window else {
            return;
        };
        self.turns.push_back(found);
        if self.turns.len() > n {
            self.turns.pop_front();
        }
    }

    /// The findings of the last N turns, in order.
    pub fn take(&mut self) -> impl Iterator<Item = Finding> + '_ {
        self.turns.drain(..).flatten()
    }
}
