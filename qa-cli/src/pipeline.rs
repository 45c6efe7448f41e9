//! The batch pipeline of `qa score`, `qa report` and `qa check --sample`: one thread reads
//! records, a pool of `--jobs` threads parses and scores them (or runs other work on them, such
//! as serializing the reports) a batch at a time, and the caller receives the results in input
//! order, one batch while the pool works on the next. At most four batches are in memory at
//! once (the one being filled, one read ahead, the one being scored, the one handed on), each
//! of at most
//! [`BATCH`] records and [`BATCH_BYTES`] of input text (or one longer record), whatever the
//! input size.

use std::collections::VecDeque;
use std::io::IsTerminal;
use std::ops::ControlFlow;
use std::sync::mpsc;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use qa_core::{Engine, Report, Transcript};
use rayon::prelude::*;

use crate::input::{self, Item, Location, Record, Source};
use crate::{ReadArgs, RunArgs, Status};

/// Records scored together; small enough to keep memory bounded, large enough to keep every
/// worker busy.
const BATCH: usize = 256;
/// Input text in one batch: a batch is sent when the next record would take it past this (a
/// single longer record, up to `--max-line-bytes`, makes a batch of its own).
pub const BATCH_BYTES: usize = 8 << 20;
/// Batches read ahead of the ones in the pool.
const READ_AHEAD: usize = 1;
/// Batches in the pool: one whose results are being handed on (written) while the next is
/// scored.
const IN_FLIGHT: usize = 2;
/// The worker threads for `--jobs`: all cores by default, at most [`qa_core::max_jobs`] (4 per
/// core: more only add memory and scheduling, scoring is CPU-bound).
pub fn jobs(requested: Option<usize>) -> anyhow::Result<usize> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    match requested {
        Some(0) => anyhow::bail!("--jobs must be at least 1"),
        Some(n) => Ok(n.min(qa_core::max_jobs())),
        None => Ok(cores),
    }
}

/// What `score` and `report` read and how.
#[derive(Debug)]
pub struct Options {
    sources: Vec<Source>,
    jobs: usize,
    fail_on_failed: bool,
    max_line_bytes: usize,
    progress: bool,
}

impl Options {
    /// Checks the inputs (each file must open) and the options.
    pub fn new(inputs: Vec<String>, run: &RunArgs) -> anyhow::Result<Options> {
        let mut options = Options::read(inputs, &run.read)?;
        options.fail_on_failed = run.fail_on_failed;
        Ok(options)
    }

    /// [`Options::new`] for a command without `--fail-on-failed`.
    pub fn read(inputs: Vec<String>, run: &ReadArgs) -> anyhow::Result<Options> {
        let sources = sources(inputs)?;
        let jobs = jobs(run.jobs)?;
        if run.max_line_bytes == 0 {
            anyhow::bail!("--max-line-bytes must be at least 1");
        }
        Ok(Options {
            sources,
            jobs,
            fail_on_failed: false,
            max_line_bytes: run.max_line_bytes,
            progress: !run.no_progress && std::io::stderr().is_terminal(),
        })
    }
}

/// The inputs named on the command line (stdin when none), each checked to be readable; stdin
/// may be named once.
pub fn sources(inputs: Vec<String>) -> anyhow::Result<Vec<Source>> {
    let inputs = if inputs.is_empty() {
        vec!["-".to_string()]
    } else {
        inputs
    };
    let sources: Vec<Source> = inputs.iter().map(|a| Source::parse(a)).collect();
    if sources.iter().filter(|s| **s == Source::Stdin).count() > 1 {
        anyhow::bail!("`-` (stdin) can be given once");
    }
    for (source, arg) in sources.iter().zip(&inputs) {
        source
            .check()
            .with_context(|| format!("cannot read {arg}"))?;
    }
    Ok(sources)
}

/// Counts over one run.
#[derive(Debug, Default, Clone, Copy)]
pub struct Totals {
    /// Conversations scored.
    pub scored: usize,
    /// Of those, conversations that did not pass.
    pub failed: usize,
    /// Records that could not be scored (reported on stderr).
    pub bad: usize,
}

impl Totals {
    /// The exit status: 3 for bad input, else 1 for a failed conversation with
    /// `--fail-on-failed`, else 0.
    pub fn status(&self, options: &Options) -> Status {
        if self.bad > 0 {
            Status::BadInput
        } else if options.fail_on_failed && self.failed > 0 {
            Status::Failed
        } else {
            Status::Ok
        }
    }
}

/// Scores every input record; `on_report` receives the reports in input order. Bad records
/// are reported on stderr as `file:line: message`.
pub fn run(
    engine: &Engine,
    options: &Options,
    on_report: &mut dyn FnMut(Report) -> std::io::Result<()>,
) -> anyhow::Result<Totals> {
    run_keeping(engine, options, false, &mut |report, _| on_report(report))
}

/// As [`run`]; with `keep`, `on_scored` also receives each transcript scored (for views that
/// show the turns, such as `qa report --html`), else `None`.
pub fn run_keeping(
    engine: &Engine,
    options: &Options,
    keep: bool,
    on_scored: &mut dyn FnMut(Report, Option<Transcript>) -> std::io::Result<()>,
) -> anyhow::Result<Totals> {
    let mut failed = 0;
    let mut totals = each(
        engine,
        options,
        &|t: Transcript| {
            let report = engine.score(&t);
            (report, keep.then_some(t))
        },
        &mut |(report, transcript): (Report, Option<Transcript>)| {
            failed += usize::from(!report.passed);
            on_scored(report, transcript)
        },
    )?;
    totals.failed = failed;
    Ok(totals)
}

/// Reads every input record as a transcript checked against `engine`'s limits, runs `work` on
/// it in the worker pool, and hands the results to `on_result` in input order (`qa diff` scores
/// each transcript with two engines in one pass). Bad records are reported on stderr as
/// `file:line: message`; `Totals::failed` is left at 0.
pub fn each<T: Send>(
    engine: &Engine,
    options: &Options,
    work: &(dyn Fn(Transcript) -> T + Sync),
    on_result: &mut dyn FnMut(T) -> std::io::Result<()>,
) -> anyhow::Result<Totals> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.jobs)
        .build()
        .context("cannot start worker threads")?;
    let bar = progress_bar(options);
    let mut totals = Totals::default();
    let (tx, rx) = mpsc::sync_channel::<Vec<Record>>(READ_AHEAD);
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let reader_bar = bar.clone();
        let sources = &options.sources;
        let max = options.max_line_bytes;
        let reader = scope.spawn(move || {
            let mut batch = Batch::default();
            let send = |batch: &mut Batch| -> ControlFlow<()> {
                let full = std::mem::take(&mut batch.records);
                batch.bytes = 0;
                // an error: the consumer stopped, so reading stops too
                match tx.send(full) {
                    Ok(()) => ControlFlow::Continue(()),
                    Err(_) => ControlFlow::Break(()),
                }
            };
            input::read_all(
                sources,
                max,
                &mut |record| {
                    let bytes = record.bytes();
                    if !batch.records.is_empty() && batch.bytes + bytes > BATCH_BYTES {
                        send(&mut batch)?;
                    }
                    batch.bytes += bytes;
                    batch.records.push(record);
                    if batch.records.len() == BATCH {
                        send(&mut batch)?;
                    }
                    ControlFlow::Continue(())
                },
                &mut |bytes| reader_bar.inc(bytes),
            );
            if !batch.records.is_empty() {
                let _ = send(&mut batch);
            }
        });
        // Batches go to the pool as they come, and the results of the oldest are handed on
        // (written) while the pool scores the next: the pool is not left idle while this
        // thread writes.
        pool.in_place_scope(|pool_scope| -> anyhow::Result<()> {
            let mut scoring = VecDeque::with_capacity(IN_FLIGHT);
            let mut hand_on = |results: mpsc::Receiver<Vec<Result<T, (Location, String)>>>| {
                // the sender is dropped without a send only when scoring panicked, and the
                // scope then resumes the panic
                for result in results.recv().unwrap_or_default() {
                    match result {
                        Ok(value) => {
                            totals.scored += 1;
                            if let Err(e) = on_result(value) {
                                if e.kind() == std::io::ErrorKind::BrokenPipe {
                                    // the reader of our output is gone (`qa score | head`)
                                    std::process::exit(0);
                                }
                                return Err(e).context("cannot write the output");
                            }
                        }
                        Err((location, message)) => {
                            totals.bad += 1;
                            bar.suspend(|| eprintln!("{location}: {message}"));
                        }
                    }
                }
                bar.set_message(format!("{} scored", totals.scored));
                Ok(())
            };
            for batch in rx {
                let (done, results) = mpsc::sync_channel(1);
                pool_scope.spawn(move |_| {
                    let scored: Vec<Result<T, (Location, String)>> = batch
                        .into_par_iter()
                        .map(|r| read(engine, r).map(work))
                        .collect();
                    // an error: the caller stopped (an output error)
                    let _ = done.send(scored);
                });
                scoring.push_back(results);
                if scoring.len() == IN_FLIGHT {
                    hand_on(scoring.pop_front().expect("a batch in flight"))?;
                }
            }
            scoring.into_iter().try_for_each(hand_on)
        })?;
        reader.join().expect("the reader thread does not panic");
        Ok(())
    })?;
    bar.finish_and_clear();
    if totals.scored == 0 && totals.bad == 0 {
        eprintln!("qa: warning: the input holds no conversations");
    }
    Ok(totals)
}

/// Records to score together and the bytes of input they hold.
#[derive(Debug, Default)]
struct Batch {
    records: Vec<Record>,
    bytes: usize,
}

/// Parses one record and checks it against `engine`'s limits (a JSON line while it is read).
fn read(engine: &Engine, record: Record) -> Result<Transcript, (Location, String)> {
    let transcript = match record.item {
        Item::Line(text) => Transcript::from_json_with_limits(&text, engine.limits()),
        Item::Value(value, _) => {
            Transcript::from_value(value).and_then(|t| engine.check(&t).map(|()| t))
        }
        Item::Bad(message) => return Err((record.location, message)),
    };
    transcript.map_err(|e| (record.location, e.to_string()))
}

fn progress_bar(options: &Options) -> ProgressBar {
    if !options.progress {
        return ProgressBar::hidden();
    }
    let sizes: Option<Vec<u64>> = options.sources.iter().map(Source::size).collect();
    let bar = match sizes {
        Some(sizes) => {
            let bar = ProgressBar::new(sizes.iter().sum());
            bar.set_style(
                ProgressStyle::with_template(
                    "{bar:30} {bytes}/{total_bytes} {msg} ({elapsed}, eta {eta})",
                )
                .expect("a valid template"),
            );
            bar
        }
        None => {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} {bytes} read, {msg} ({elapsed})")
                    .expect("a valid template"),
            );
            bar
        }
    };
    bar.set_draw_target(ProgressDrawTarget::stderr());
    bar
}
