//! `qa`: the command line of qa-engine (spec §5).
//!
//! `check` validates a rubric, warns about rules likely to raise false alarms and with
//! `--sample` counts its phrases in real conversations, `score` scores conversations, `report`
//! aggregates scores, `diff` compares two rubrics on the same conversations, `eval` and `mine`
//! measure rubrics against human labels, `watch` scores live conversations turn by turn,
//! `test` runs a rubric's own regression cases, and `explain` says why each rule fired or not on
//! one conversation. Every rule decision is made by `qa-core`; this
//! crate only reads input, runs the engine and formats what it returns.

mod aggregate;
mod check;
mod diff;
mod eval;
mod explain;
mod html;
mod input;
mod lint;
mod mine;
mod output;
mod path;
mod pipeline;
mod sample;
mod schema;
mod sink;
mod stats;
mod table;
mod test_cases;
mod thresholds;
mod watch;
mod yaml;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// Exit statuses (spec §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Everything was fine.
    Ok = 0,
    /// A conversation failed (`--fail-on-failed`), a threshold was breached
    /// (`--fail-on-threshold`) or a `qa test` case failed.
    Failed = 1,
    /// The rubric is invalid, or the command line is wrong.
    Invalid = 2,
    /// Some input lines were bad (reported on stderr); the others were processed.
    BadInput = 3,
}

#[derive(Debug, Parser)]
#[command(
    name = "qa",
    version,
    about = "Quality inspection (质检) of customer-service conversations against a rubric",
    after_help = "Exit status: 0 ok, 1 a conversation or test case failed, 2 invalid rubric or \
                  usage, 3 some input lines were bad.\nReference: docs/cli.md"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate a rubric: rule counts, or every error as file:line:col: message.
    Check {
        /// The rubric file (.yaml, .yml, .json or .toml).
        rubric: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
        format: CheckFormat,
        /// Do not look for phrases likely to raise false alarms.
        #[arg(long)]
        no_warnings: bool,
        /// Count how often each phrase matches in these transcripts (.jsonl, .json, or - for
        /// stdin), with contexts; flag phrases that never match or match in most conversations.
        #[arg(long, value_name = "INPUT", num_args = 1..)]
        sample: Vec<String>,
    },
    /// Score conversations: one report per conversation, in input order.
    Score {
        /// The rubric file.
        rubric: PathBuf,
        /// Transcript files: .jsonl (one conversation per line), .json (one conversation or an
        /// array of them), or - for JSON Lines on stdin (the default).
        inputs: Vec<String>,
        #[command(flatten)]
        run: RunArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ScoreFormat::Jsonl)]
        format: ScoreFormat,
    },
    /// Aggregate scores: count, mean, distribution, pass rate, findings per rule (Pareto).
    Report {
        /// The rubric file.
        rubric: PathBuf,
        /// Transcript files, or - for stdin (the default).
        inputs: Vec<String>,
        #[command(flatten)]
        run: RunArgs,
        /// Group by agent, channel, id or any metadata path (meta.quality.S, meta.tags.0), or
        /// list every rule.
        #[arg(long, value_name = "agent|channel|rule|meta.PATH", value_parser = GroupBy::parse)]
        by: Option<GroupBy>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
        format: ReportFormat,
        /// Rules to list in the table's Pareto (all of them in JSON and with --by rule).
        #[arg(long, default_value_t = 10)]
        top: usize,
        /// With --by agent|channel|meta.PATH: most groups kept apart; the conversations of
        /// values seen after that many are counted together, as "other".
        #[arg(long, value_name = "N", default_value_t = aggregate::DEFAULT_MAX_GROUPS)]
        max_groups: usize,
        /// Exit 1 when any of the rubric's `thresholds` is breached.
        #[arg(long)]
        fail_on_threshold: bool,
        /// Also write one self-contained HTML page to FILE: summary, charts, tables, and every
        /// conversation with its evidence marked, filterable (opens from disk, no network).
        #[arg(long, value_name = "FILE")]
        html: Option<PathBuf>,
    },
    /// Score conversations with an old and a new rubric and show what changed: findings added
    /// and removed, scores, pass/fail flips.
    Diff {
        /// The old rubric file.
        old: PathBuf,
        /// The new rubric file.
        new: PathBuf,
        /// Transcript files, or - for stdin (the default).
        inputs: Vec<String>,
        #[command(flatten)]
        read: ReadArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
        format: DiffFormat,
    },
    /// Live mode: read turns of many conversations as JSON Lines on stdin, write each pushed
    /// finding at once and each conversation's report when it closes.
    Watch {
        /// The rubric file.
        rubric: PathBuf,
        /// Write only the findings of `alert: true` rules as they come (reports stay complete).
        #[arg(long)]
        alerts_only: bool,
        /// Most conversations open at once; past it the least recently active one is closed
        /// with its report (and a note on stderr).
        #[arg(long, value_name = "N", default_value_t = watch::DEFAULT_MAX_OPEN)]
        max_open: usize,
        /// Most input bytes of turns held by the open conversations together; past it the least
        /// recently active ones are closed with their reports.
        #[arg(long, value_name = "BYTES", default_value_t = watch::DEFAULT_MAX_OPEN_BYTES)]
        max_open_bytes: usize,
        /// Close a conversation (with its report) when none of the last N input lines was
        /// its own; 0 never does.
        #[arg(long, value_name = "N", default_value_t = watch::DEFAULT_IDLE_LINES)]
        idle_lines: u64,
        /// Write the original text: the rubric's `redact` does not mask findings' text (for
        /// auditors).
        #[arg(long)]
        no_redact: bool,
    },
    /// Run a rubric's regression cases (YAML or JSONL); exit 1 if any case fails.
    Test {
        /// The rubric file.
        rubric: PathBuf,
        /// The cases file (.yaml, .yml, .json or .jsonl).
        cases: PathBuf,
        /// Print only failures and the summary.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Explain why each rule (or one) fired or not on one conversation: the matches, each
    /// dropped match with its reason, respond triggers, timing measurements.
    Explain {
        /// The rubric file.
        rubric: PathBuf,
        /// One conversation: a .json file (an object), a .jsonl file of one line, or - (stdin).
        transcript: String,
        /// Explain only this rule.
        #[arg(long, value_name = "ID")]
        rule: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = explain::ExplainFormat::Text)]
        format: explain::ExplainFormat,
    },
    /// Print the JSON Schema (draft-07) of a rubric file, for editors: `qa schema > rubric.schema.json`.
    Schema,
    /// Measure a rubric against human labels: AUC of its risk order, per-rule precision,
    /// recall and lift, and agreement with a human score.
    Eval {
        /// The rubric file.
        rubric: PathBuf,
        /// Transcript files, or - for stdin (the default).
        inputs: Vec<String>,
        /// The label: `PATH OP NUMBER` (e.g. `meta.quality.S<0`) or a bare `PATH`; true marks
        /// the conversations the rubric should find (positives). Without the path: unlabeled.
        #[arg(long, value_name = "EXPR")]
        label: String,
        /// A human score at this path (e.g. `meta.review.score`): MAE and Pearson r against the
        /// score, and Cohen's κ of passed against the human score at the rubric's pass mark.
        #[arg(long, value_name = "PATH")]
        human_score: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
        format: ReportFormat,
        #[command(flatten)]
        read: ReadArgs,
    },
    /// Write a draft rubric of the words and phrases that best separate labeled conversations
    /// (log-odds ratio with an informative Dirichlet prior).
    Mine {
        /// Transcript files, or - for stdin (the default).
        inputs: Vec<String>,
        /// The label: `PATH OP NUMBER` or a bare `PATH`; phrases of the true side deduct, of
        /// the false side add a bonus.
        #[arg(long, value_name = "EXPR")]
        label: String,
        /// Whose turns to read.
        #[arg(long, value_enum, default_value_t = mine::MineRole::Customer)]
        role: mine::MineRole,
        /// Phrases kept on each side.
        #[arg(long, value_name = "N", default_value_t = 40)]
        top: usize,
        /// Fewest conversations a phrase must appear in.
        #[arg(long, value_name = "K", default_value_t = 5)]
        min_support: usize,
        /// Longest input line read, in bytes; a longer line is reported as bad and skipped.
        #[arg(long, default_value_t = input::DEFAULT_MAX_LINE_BYTES)]
        max_line_bytes: usize,
    },
}

/// Options shared by `score` and `report`.
#[derive(Debug, clap::Args)]
struct RunArgs {
    #[command(flatten)]
    read: ReadArgs,
    /// Exit 1 when any conversation failed.
    #[arg(long)]
    fail_on_failed: bool,
}

/// How `score`, `report` and `diff` read and score their input.
#[derive(Debug, clap::Args)]
struct ReadArgs {
    /// Worker threads (default: all cores; at most 4 per core, a larger N is lowered to that).
    #[arg(long, short)]
    jobs: Option<usize>,
    /// Longest input line read, in bytes; a longer line is reported as bad and skipped.
    #[arg(long, default_value_t = input::DEFAULT_MAX_LINE_BYTES)]
    max_line_bytes: usize,
    /// Never show a progress bar (it is shown only when stderr is a terminal).
    #[arg(long)]
    no_progress: bool,
    /// Write the original text: the rubric's `redact` does not mask findings' text (for
    /// auditors).
    #[arg(long)]
    no_redact: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CheckFormat {
    Text,
    Json,
}

/// How `qa score` writes reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScoreFormat {
    /// One JSON report per line.
    Jsonl,
    /// One JSON array of reports.
    Json,
    /// A table for people, with a summary line.
    Table,
}

/// How `qa report` writes its aggregate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// One JSON object.
    Json,
    /// Tables for people.
    Table,
}

/// How `qa diff` writes the changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// Changed conversations and their findings for people, then a summary.
    Text,
    /// One JSON object: `changed`, then the counts.
    Json,
}

/// What `qa report --by` groups by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupBy {
    /// Every rule of the rubric, with or without findings.
    Rule,
    /// The conversations by the value at a path: `agent`, `channel`, `id` or `meta.PATH`.
    Field(path::FieldPath),
}

impl GroupBy {
    /// Groups by a path known to be valid (`agent`, `channel`).
    pub fn field(path: &str) -> GroupBy {
        GroupBy::Field(path::FieldPath::parse(path).expect("a valid built-in path"))
    }

    /// Parses `--by`: `rule`, or a path.
    fn parse(text: &str) -> Result<GroupBy, String> {
        if text.trim() == "rule" {
            return Ok(GroupBy::Rule);
        }
        path::FieldPath::parse(text)
            .map(GroupBy::Field)
            .map_err(|e| format!("{e} (--by takes agent, channel, rule, id or meta.PATH)"))
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let usage = e.use_stderr();
            let _ = e.print();
            return ExitCode::from(if usage { Status::Invalid as u8 } else { 0 });
        }
    };
    let status = match run(cli) {
        Ok(status) => status,
        Err(e) => {
            eprintln!("qa: {e:#}");
            Status::Invalid
        }
    };
    ExitCode::from(status as u8)
}

fn run(cli: Cli) -> anyhow::Result<Status> {
    match cli.command {
        Command::Check {
            rubric,
            format,
            no_warnings,
            sample,
        } => {
            let sample = if sample.is_empty() {
                None
            } else {
                let read = ReadArgs {
                    jobs: None,
                    max_line_bytes: input::DEFAULT_MAX_LINE_BYTES,
                    no_progress: false,
                    no_redact: false,
                };
                Some(pipeline::Options::read(sample, &read)?)
            };
            check::run(
                &rubric,
                format == CheckFormat::Json,
                !no_warnings,
                sample.as_ref(),
            )
        }
        Command::Score {
            rubric,
            inputs,
            run,
            format,
        } => {
            let Some(engine) = check::load(&rubric)? else {
                return Ok(Status::Invalid);
            };
            let engine = engine.with_redact(!run.read.no_redact);
            output::score(&engine, &pipeline::Options::new(inputs, &run)?, format)
        }
        Command::Report {
            rubric,
            inputs,
            run,
            by,
            format,
            top,
            max_groups,
            html,
            fail_on_threshold,
        } => {
            let Some(engine) = check::load(&rubric)? else {
                return Ok(Status::Invalid);
            };
            let engine = engine.with_redact(!run.read.no_redact);
            let options = pipeline::Options::new(inputs, &run)?;
            let report = aggregate::ReportOptions {
                by,
                format,
                top,
                max_groups,
                fail_on_threshold,
                html: html.as_deref(),
            };
            aggregate::run(&engine, &options, &report)
        }
        Command::Diff {
            old,
            new,
            inputs,
            read,
            format,
        } => {
            // both rubrics' errors are shown before giving up
            let (old, new) = (check::load(&old)?, check::load(&new)?);
            let (Some(old), Some(new)) = (old, new) else {
                return Ok(Status::Invalid);
            };
            let (old, new) = (
                old.with_redact(!read.no_redact),
                new.with_redact(!read.no_redact),
            );
            diff::run(&old, &new, &pipeline::Options::read(inputs, &read)?, format)
        }
        Command::Watch {
            rubric,
            alerts_only,
            max_open,
            max_open_bytes,
            idle_lines,
            no_redact,
        } => {
            let Some(engine) = check::load(&rubric)? else {
                return Ok(Status::Invalid);
            };
            let engine = engine.with_redact(!no_redact);
            let bounds = watch::Bounds {
                max_open,
                max_open_bytes,
                idle_lines,
            };
            watch::run(&engine, alerts_only, bounds)
        }
        Command::Test {
            rubric,
            cases,
            quiet,
        } => {
            let Some(engine) = check::load(&rubric)? else {
                return Ok(Status::Invalid);
            };
            test_cases::run(&engine, &cases, quiet)
        }
        Command::Explain {
            rubric,
            transcript,
            rule,
            format,
        } => {
            let Some(engine) = check::load(&rubric)? else {
                return Ok(Status::Invalid);
            };
            explain::run(&engine, &transcript, rule.as_deref(), format)
        }
        Command::Schema => schema::run(),
        Command::Eval {
            rubric,
            inputs,
            label,
            human_score,
            format,
            read,
        } => {
            let Some(engine) = check::load(&rubric)? else {
                return Ok(Status::Invalid);
            };
            let options = pipeline::Options::read(inputs, &read)?;
            eval::run(&engine, &options, &label, human_score.as_deref(), format)
        }
        Command::Mine {
            inputs,
            label,
            role,
            top,
            min_support,
            max_line_bytes,
        } => mine::run(
            inputs,
            &mine::MineArgs {
                label,
                role,
                top,
                min_support,
                max_line_bytes,
            },
        ),
    }
}
