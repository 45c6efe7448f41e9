//! Standard output for `qa score` and `qa watch`, shared with the SIGINT handler: each write
//! is a whole line (or a whole element of a JSON array) made under one lock, so an interrupt
//! never leaves a line cut in the middle: the handler waits for the line being written, writes
//! out the whole lines buffered so far (and `]` to close a JSON array), and exits 130.

use std::io::{self, BufWriter, Stdout, Write};
use std::sync::{LazyLock, Mutex, MutexGuard};

struct State {
    out: BufWriter<Stdout>,
    /// Written after the last whole line when interrupted.
    trailer: &'static [u8],
}

static OUT: LazyLock<Mutex<State>> = LazyLock::new(|| {
    Mutex::new(State {
        out: BufWriter::with_capacity(1 << 16, io::stdout()),
        trailer: b"",
    })
});

fn lock() -> MutexGuard<'static, State> {
    // a panic while writing leaves whole lines in the buffer all the same
    OUT.lock().unwrap_or_else(|e| e.into_inner())
}

/// Writes whole lines, buffered.
pub fn write(bytes: &[u8]) -> io::Result<()> {
    lock().out.write_all(bytes)
}

/// Writes whole lines and flushes them.
pub fn write_flush(bytes: &[u8]) -> io::Result<()> {
    let mut state = lock();
    state.out.write_all(bytes)?;
    state.out.flush()
}

/// Flushes what is buffered.
pub fn flush() -> io::Result<()> {
    lock().out.flush()
}

/// What an interrupt writes after the last whole line (`\n]\n` closing a JSON array).
pub fn set_trailer(trailer: &'static [u8]) {
    lock().trailer = trailer;
}

/// From now on SIGINT (Ctrl-C) stops the command: whatever it is doing, the whole lines written
/// so far and the trailer reach stdout, and the process exits with status 130 (128 + SIGINT).
pub fn exit_on_interrupt() -> io::Result<()> {
    let mut signals = signal_hook::iterator::Signals::new([signal_hook::consts::SIGINT])?;
    std::thread::Builder::new()
        .name("sigint".to_string())
        .spawn(move || {
            if signals.forever().next().is_some() {
                let mut state = lock();
                let trailer = state.trailer;
                let _ = state.out.write_all(trailer);
                let _ = state.out.flush();
                std::process::exit(130);
            }
        })?;
    Ok(())
}

/// Writes formatted text straight to stdout for the commands that print as they go (`check`,
/// `test`): when the reader is gone (`qa check R | head`) the process exits quietly with status
/// 0, as `qa score` does, instead of panicking as `println!` would.
pub fn print(args: std::fmt::Arguments<'_>) {
    let mut out = io::stdout().lock();
    if let Err(e) = out.write_fmt(args) {
        if e.kind() == io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("qa: writing to stdout: {e}");
        std::process::exit(2);
    }
}

/// `print!` through [`print`].
macro_rules! out {
    ($($arg:tt)*) => { $crate::sink::print(format_args!($($arg)*)) };
}

/// `println!` through [`print`].
macro_rules! outln {
    () => { $crate::sink::print(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::sink::print(format_args!("{}\n", format_args!($($arg)*))) };
}

pub(crate) use {out, outln};
