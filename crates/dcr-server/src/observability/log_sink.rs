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

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
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

/// The process's log.
static STDERR: Batches<Stderr> = Batches::new(Stderr);

/// Starts the thread that writes lines out and the panic hook that writes
/// them before a panic's message. A thread that cannot be started leaves
/// every line written at once.
pub fn start() {
    let started = std::thread::Builder::new()
        .name("dcr-log".into())
        .spawn(|| STDERR.flush_when_due())
        .is_ok();
    STDERR.buffered.store(started, Ordering::Release);
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        STDERR.flush_unless_held();
        report(info);
    }));
}

/// Adds `line` (one or more whole lines); `urgent` writes it out at once,
/// with everything before it.
pub fn write(line: &[u8], urgent: bool) {
    STDERR.write(line, urgent);
}

/// Writes out every waiting line.
pub fn flush() {
    STDERR.flush();
}

/// Standard error, locked for each batch.
struct Stderr;

impl Write for Stderr {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        std::io::stderr().write(bytes)
    }

    fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        std::io::stderr().lock().write_all(bytes)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// Lines waiting for `out`, in the order they were logged.
struct Batches<W> {
    pending: Mutex<Vec<u8>>,
    /// Wakes the flushing thread when a line lands in an empty buffer, and
    /// when the buffer reaches [`FLUSH_AT_BYTES`].
    landed: Condvar,
    out: Mutex<W>,
    /// Whether a flushing thread runs: without one, every line is written
    /// at once.
    buffered: AtomicBool,
}

impl<W: Write> Batches<W> {
    const fn new(out: W) -> Self {
        Self {
            pending: Mutex::new(Vec::new()),
            landed: Condvar::new(),
            out: Mutex::new(out),
            buffered: AtomicBool::new(false),
        }
    }

    fn write(&self, line: &[u8], urgent: bool) {
        let mut pending = self.pending();
        let before = pending.len();
        pending.extend_from_slice(line);
        if urgent || pending.len() >= MOST_WAITING || !self.buffered.load(Ordering::Acquire) {
            self.write_out(pending);
        } else if before == 0 || (before < FLUSH_AT_BYTES && pending.len() >= FLUSH_AT_BYTES) {
            self.landed.notify_one();
        }
    }

    fn flush(&self) {
        let pending = self.pending();
        if !pending.is_empty() {
            self.write_out(pending);
        }
    }

    /// As `flush`, but not if the buffer is held: by this very thread (a
    /// panic while logging), it would never be released.
    fn flush_unless_held(&self) {
        if let Ok(pending) = self.pending.try_lock()
            && !pending.is_empty()
        {
            self.write_out(pending);
        }
    }

    /// The output is locked before the buffer is released, so batches taken
    /// one after the other are written in that order.
    fn write_out(&self, mut pending: MutexGuard<'_, Vec<u8>>) {
        let lines = std::mem::take(&mut *pending);
        let mut out = self.out.lock().unwrap_or_else(PoisonError::into_inner);
        drop(pending);
        // Nowhere left to report a log that cannot be written.
        let _ = out.write_all(&lines);
        let _ = out.flush();
    }

    /// The flushing thread: asleep while the buffer is empty; once a line
    /// lands, it lets lines gather for [`FLUSH_AFTER`] or until
    /// [`FLUSH_AT_BYTES`] of them wait, then writes them out.
    fn flush_when_due(&self) -> ! {
        loop {
            let mut pending = self.pending();
            while pending.is_empty() {
                pending = self
                    .landed
                    .wait(pending)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            let due = Instant::now() + FLUSH_AFTER;
            while pending.len() < FLUSH_AT_BYTES {
                let left = due.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                pending = self
                    .landed
                    .wait_timeout(pending, left)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
            if !pending.is_empty() {
                self.write_out(pending);
            }
        }
    }

    /// A thread that panicked while holding the buffer left whole lines in
    /// it.
    fn pending(&self) -> MutexGuard<'_, Vec<u8>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// What reached the output so far.
    fn written(batches: &Batches<Vec<u8>>) -> String {
        String::from_utf8(batches.out.lock().unwrap().clone()).unwrap()
    }

    fn buffered() -> Batches<Vec<u8>> {
        let batches = Batches::new(Vec::new());
        batches.buffered.store(true, Ordering::Release);
        batches
    }

    #[test]
    fn lines_wait_until_flushed_and_leave_in_order() {
        let batches = buffered();
        batches.write(b"one\n", false);
        batches.write(b"two\n", false);
        assert_eq!(written(&batches), "");
        batches.flush();
        batches.write(b"three\n", false);
        batches.flush();
        assert_eq!(written(&batches), "one\ntwo\nthree\n");
    }

    #[test]
    fn an_urgent_line_goes_out_at_once_after_the_lines_before_it() {
        let batches = buffered();
        batches.write(b"info\n", false);
        batches.write(b"warning\n", true);
        assert_eq!(written(&batches), "info\nwarning\n");
        batches.write(b"later\n", false);
        assert_eq!(written(&batches), "info\nwarning\n");
    }

    #[test]
    fn without_a_flushing_thread_every_line_goes_out_at_once() {
        let batches = Batches::new(Vec::new());
        batches.write(b"one\n", false);
        assert_eq!(written(&batches), "one\n");
    }

    #[test]
    fn a_pile_past_the_most_that_may_wait_is_written_by_the_logger() {
        let batches = buffered();
        let line = [b'x'; 1023]
            .iter()
            .chain(b"\n")
            .copied()
            .collect::<Vec<u8>>();
        for _ in 0..(MOST_WAITING / line.len() - 1) {
            batches.write(&line, false);
        }
        assert_eq!(written(&batches), "");
        batches.write(&line, false);
        batches.write(&line, false);
        assert_eq!(written(&batches).len(), MOST_WAITING);
        assert_eq!(batches.pending().len(), line.len());
    }

    #[test]
    fn the_flushing_thread_writes_a_line_out_by_itself() {
        let batches: &'static Batches<Vec<u8>> = Box::leak(Box::new(buffered()));
        std::thread::spawn(|| batches.flush_when_due());
        batches.write(b"one\n", false);
        // FLUSH_AFTER, and however long a loaded test machine takes.
        let deadline = Instant::now() + Duration::from_secs(10);
        while written(batches).is_empty() {
            assert!(Instant::now() < deadline, "never written");
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(written(batches), "one\n");
    }
}
