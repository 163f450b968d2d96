//! Where the log's lines go: standard error, in batches. One `write` per
//! line cost a registration about a twentieth of dcr's CPU under load (a
//! system call, and a wake-up of whatever reads the other end), so lines
//! at `info` and below wait in a buffer, written out by a thread of their
//! own within [`FLUSH_AFTER`], or as soon as [`FLUSH_AT_BYTES`] of them
//! wait. Requests never wait for the log's disk or pipe, unless it is so
//! slow that [`MOST_WAITING`] bytes pile up: they then write themselves,
//! and wait for it as they would without a buffer. A warning or an error
//! is written at once, with every line before it, so what explains a fault
//! is out before the process can die of it; so is everything at exit
//! (`flush`, called by `main`) and before a panic's message (the hook that
//! `start` installs). Only a process killed outright (`SIGKILL`) can lose
//! lines: at most the last [`FLUSH_AFTER`] of them, none of them a warning.

use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long a line may wait in the buffer.
pub const FLUSH_AFTER: Duration = Duration::from_millis(50);

/// A buffer this full is written out by the flushing thread at once,
/// whatever its age.
const FLUSH_AT_BYTES: usize = 64 * 1024;

/// A buffer this full means the flushing thread cannot keep up (a stalled
/// disk, a log reader that stopped reading): the thread that logs writes
/// out itself, so memory stays bounded and the log keeps every line.
const MOST_WAITING: usize = 1024 * 1024;

/// Lines waiting to be written, in the order they were logged.
static PENDING: Mutex<Vec<u8>> = Mutex::new(Vec::new());
/// Wakes the flushing thread when a line lands in an empty buffer, and
/// when the buffer reaches [`FLUSH_AT_BYTES`].
static LANDED: Condvar = Condvar::new();
/// Whether the flushing thread runs: without it, every line is written at
/// once.
static BUFFERED: AtomicBool = AtomicBool::new(false);

/// Starts the thread that writes lines out and the panic hook that writes
/// them before a panic's message. A thread that cannot be started leaves
/// every line written at once.
pub fn start() {
    let started = std::thread::Builder::new()
        .name("dcr-log".into())
        .spawn(flush_when_due)
        .is_ok();
    BUFFERED.store(started, Ordering::Release);
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // Not if the buffer is held: by this very thread, it would never
        // be released.
        if let Ok(pending) = PENDING.try_lock()
            && !pending.is_empty()
        {
            write_out(pending);
        }
        report(info);
    }));
}

/// Adds `line` (one or more whole lines); `urgent` writes it out at once,
/// with everything before it.
pub fn write(line: &[u8], urgent: bool) {
    let mut pending = lock();
    let before = pending.len();
    pending.extend_from_slice(line);
    if urgent || pending.len() >= MOST_WAITING || !BUFFERED.load(Ordering::Acquire) {
        write_out(pending);
    } else if before == 0 || (before < FLUSH_AT_BYTES && pending.len() >= FLUSH_AT_BYTES) {
        LANDED.notify_one();
    }
}

/// Writes out every waiting line.
pub fn flush() {
    let pending = lock();
    if !pending.is_empty() {
        write_out(pending);
    }
}

/// Standard error is locked before the buffer is released, so batches
/// taken one after the other are written in that order.
fn write_out(mut pending: MutexGuard<'_, Vec<u8>>) {
    let lines = std::mem::take(&mut *pending);
    let mut stderr = std::io::stderr().lock();
    drop(pending);
    // Nowhere left to report a log that cannot be written.
    let _ = stderr.write_all(&lines);
    let _ = stderr.flush();
}

/// The flushing thread: asleep while the buffer is empty; once a line
/// lands, it lets lines gather for [`FLUSH_AFTER`] or until
/// [`FLUSH_AT_BYTES`] of them wait, then writes them out.
fn flush_when_due() {
    loop {
        let mut pending = lock();
        while pending.is_empty() {
            pending = LANDED
                .wait(pending)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        let due = Instant::now() + FLUSH_AFTER;
        while pending.len() < FLUSH_AT_BYTES {
            let left = due.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            pending = LANDED
                .wait_timeout(pending, left)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
        if !pending.is_empty() {
            write_out(pending);
        }
    }
}

/// A thread that panicked while holding the buffer left whole lines in it.
fn lock() -> MutexGuard<'static, Vec<u8>> {
    PENDING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
