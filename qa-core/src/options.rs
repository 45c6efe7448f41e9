//! The small value types of a rubric: roles, severities, windows, normalization settings.
//!
//! They are plain data (`Copy` where they can be) shared by the rubric model, the checker, the
//! matcher and the rule kinds; this module depends on nothing else in the crate.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Which languages' negation words and word segmentation apply.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    /// Chinese.
    Zh,
    /// English.
    En,
    /// Both (the default).
    #[default]
    Auto,
}

/// Whether 繁體 is converted to 简体 before matching.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChineseForm {
    /// Convert traditional characters to simplified (the default).
    #[default]
    Simplified,
    /// Leave characters as they are.
    None,
}

/// Normalization applied to transcript text and to every phrase alike.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(default, deny_unknown_fields)]
pub struct Normalize {
    /// Full-width ASCII forms (`ＡＢＣ１２３，`) → half-width, ideographic space → space.
    pub(crate) fullwidth: bool,
    /// Case-insensitive matching (phrases and regexes).
    pub(crate) case: bool,
    /// 繁體 → 简体 before matching (`simplified`), or characters as they are (`none`).
    pub(crate) chinese: ChineseForm,
    /// Noise characters removed before matching: with `skip: " *@#-"`, `傻@逼` matches `傻逼`.
    /// Zero-width and invisible format characters (U+200B–U+200F, U+2060–U+2064, U+FEFF) and
    /// variation selectors (U+FE00–U+FE0F) are always removed, whatever this says.
    pub(crate) skip: String,
    /// Regions of social-media noise made invisible to every rule (default: none): `mentions`
    /// (`@handle`), `hashtags` (`#话题#`, `#tag`), `urls` (`http://…`, `https://…`),
    /// `emoji_tags` (`[发怒]`) and `retweets` (`//@` to the end of the turn). No phrase or regex
    /// matches inside or across a stripped region, negation does not look across it, and it
    /// counts as one character in `near` distances; offsets still refer to the original text.
    pub(crate) strip: Vec<Strip>,
}

/// A kind of region `normalize.strip` removes before matching.
#[non_exhaustive]
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Strip {
    /// `@` not preceded by an ASCII letter or digit, then one or more characters up to (not
    /// including) whitespace, `@`, `#`, `/`, `:`, `：` or a punctuation mark of
    /// `，。！？；、,.!?;()（）[]【】`.
    Mentions,
    /// `#`, 1 to 64 characters other than `#` and line breaks, `#` (Weibo style, paired left to
    /// right); else `#` followed by ASCII letters, digits or `_`.
    Hashtags,
    /// `http://` or `https://`, then every following character up to whitespace, a CJK
    /// character (U+3000–U+303F, U+3400–U+9FFF, U+FF00–U+FFEF) or the end.
    Urls,
    /// `[`, 1 to 8 characters that are CJK ideographs or letters, `]`.
    EmojiTags,
    /// `//@` to the end of the turn's text.
    Retweets,
}

impl Strip {
    /// The item's name as written in a rubric.
    pub fn as_str(self) -> &'static str {
        match self {
            Strip::Mentions => "mentions",
            Strip::Hashtags => "hashtags",
            Strip::Urls => "urls",
            Strip::EmojiTags => "emoji_tags",
            Strip::Retweets => "retweets",
        }
    }

    pub(crate) const CHOICES: [(&'static str, Strip); 5] = [
        ("mentions", Strip::Mentions),
        ("hashtags", Strip::Hashtags),
        ("urls", Strip::Urls),
        ("emoji_tags", Strip::EmojiTags),
        ("retweets", Strip::Retweets),
    ];
}

impl Normalize {
    /// Full-width ASCII forms (`ＡＢＣ１２３，`) → half-width. Default true.
    pub fn fullwidth(&self) -> bool {
        self.fullwidth
    }

    /// Case-insensitive matching (phrases and regexes). Default true.
    pub fn case(&self) -> bool {
        self.case
    }

    /// 繁體 → 简体. Default simplified.
    pub fn chinese(&self) -> ChineseForm {
        self.chinese
    }

    /// Noise characters removed before matching. Default none.
    pub fn skip(&self) -> &str {
        &self.skip
    }

    /// The regions stripped before matching, each item once, in rubric order. Default none.
    pub fn strip(&self) -> &[Strip] {
        &self.strip
    }
}

impl Default for Normalize {
    fn default() -> Self {
        Normalize {
            fullwidth: true,
            case: true,
            chinese: ChineseForm::Simplified,
            skip: String::new(),
            strip: Vec::new(),
        }
    }
}

/// A built-in kind of personal data that `redact.builtin` masks (see `crate::redact` for exactly
/// what each matches).
#[non_exhaustive]
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Builtin {
    /// Mainland mobile numbers: 11 digits `1[3-9]…`, with an optional `+86`/`86` and spaces or
    /// dashes between the 3-4-4 groups.
    PhoneCn,
    /// 18-character resident ID numbers: a region code, a birth date, 3 digits and a check
    /// character (a digit or `X`); the checksum is not verified.
    IdCn,
    /// 16–19 digit card numbers: one run of digits, or groups of four separated by one space or
    /// dash (the last group 1–4 digits); no Luhn check.
    BankCard,
    /// E-mail addresses (`local@domain.tld`, ASCII).
    Email,
}

impl Builtin {
    /// The builtin's name as written in a rubric.
    pub fn as_str(self) -> &'static str {
        match self {
            Builtin::PhoneCn => "phone_cn",
            Builtin::IdCn => "id_cn",
            Builtin::BankCard => "bank_card",
            Builtin::Email => "email",
        }
    }

    pub(crate) const CHOICES: [(&'static str, Builtin); 4] = [
        ("phone_cn", Builtin::PhoneCn),
        ("id_cn", Builtin::IdCn),
        ("bank_card", Builtin::BankCard),
        ("email", Builtin::Email),
    ];
}

/// What a threshold groups conversations by.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum GroupBy {
    /// All conversations together: one group, named `all` (the default).
    #[default]
    All,
    /// The transcript's `agent` (conversations without one: the group `null`).
    Agent,
    /// The transcript's `channel` (conversations without one: the group `null`).
    Channel,
}

impl GroupBy {
    /// The name as written in a rubric.
    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::All => "all",
            GroupBy::Agent => "agent",
            GroupBy::Channel => "channel",
        }
    }

    pub(crate) const CHOICES: [(&'static str, GroupBy); 3] = [
        ("all", GroupBy::All),
        ("agent", GroupBy::Agent),
        ("channel", GroupBy::Channel),
    ];
}

/// A role a speaker label maps to (plus `any` for rules).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The helpdesk side.
    Agent,
    /// The customer.
    Customer,
    /// Anyone else (a bot, the system).
    Other,
    /// Every role (rules only).
    Any,
}

impl Role {
    /// Whether a turn of role `turn_role` is in this rule role.
    pub fn covers(self, turn_role: Role) -> bool {
        self == Role::Any || self == turn_role
    }

    /// The role's name as written in a rubric.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Customer => "customer",
            Role::Other => "other",
            Role::Any => "any",
        }
    }

    pub(crate) const CHOICES: [(&'static str, Role); 4] = [
        ("agent", Role::Agent),
        ("customer", Role::Customer),
        ("other", Role::Other),
        ("any", Role::Any),
    ];

    /// Slot of a turn role in per-role counters: agent, customer, other.
    pub(crate) fn slot(self) -> usize {
        match self {
            Role::Agent => 0,
            Role::Customer => 1,
            Role::Other | Role::Any => 2,
        }
    }
}

/// How serious a finding is.
#[non_exhaustive]
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// For information.
    Info,
    /// Minor (the default).
    Minor,
    /// Major.
    Major,
    /// Critical.
    Critical,
}

impl Severity {
    /// The severity's name as written in a rubric.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Minor => "minor",
            Severity::Major => "major",
            Severity::Critical => "critical",
        }
    }

    pub(crate) const CHOICES: [(&'static str, Severity); 4] = [
        ("info", Severity::Info),
        ("minor", Severity::Minor),
        ("major", Severity::Major),
        ("critical", Severity::Critical),
    ];
}

/// Whether a match right after a negation word counts.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Negation {
    /// Matches count whatever precedes them (the default).
    #[default]
    Keep,
    /// A match is dropped when a negation word ends at most 4 characters before it, in the same
    /// clause.
    Skip,
}

/// Which turns of the rule's role count.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Window {
    /// The role's first N turns.
    First(#[schemars(range(min = 1))] usize),
    /// The role's last N turns (known only when the conversation ends).
    Last(#[schemars(range(min = 1))] usize),
    /// Turns with index in `[from, to]` (0-based over all turns, both ends included; from ≤ to).
    Turns(usize, usize),
    /// Turns starting within `[from, to]` seconds (both ends included; from ≤ to); needs
    /// timestamps.
    Seconds(
        #[schemars(range(min = 0.0))] f64,
        #[schemars(range(min = 0.0))] f64,
    ),
}

/// How long a `respond` trigger waits for its answer.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Within {
    /// In the next N turns of the `expect` role.
    Turns(#[schemars(range(min = 1))] usize),
    /// In a turn of the `expect` role starting at most S seconds after the trigger ends (its
    /// start when it has no end); needs timestamps.
    Seconds(#[schemars(range(min = 0.0))] f64),
}

/// Which agent turns `response_time` looks at.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// The first agent reply only.
    First,
    /// Every agent reply (the default).
    #[default]
    Each,
}
