//! The process's log: `DCR_LOG` filters it (env_logger syntax), and
//! `DCR_LOG_FORMAT` shapes it: `text` for people, `json` (one object per
//! line) for log pipelines. Lines that carry fields (each request's, see
//! `request_log`) carry them as JSON members; in text they are already in
//! the message.

use std::cell::RefCell;
use std::io::Write as _;

use serde_json::{Map, Value};

use crate::config::LogFormat;
use crate::observability::log_sink;

/// Installs the logger; call once, first thing. Its lines reach standard
/// error through `log_sink`: `flush` before the process exits.
pub fn init(format: LogFormat) {
    let filter =
        env_logger::Builder::from_env(env_logger::Env::default().filter_or("DCR_LOG", "info"))
            .build();
    log_sink::start();
    let logger = Logger { filter, format };
    log::set_max_level(logger.filter.filter());
    // Only fails when a logger is already installed (a second call).
    let _ = log::set_boxed_logger(Box::new(logger));
}

/// Writes out every line logged so far.
pub fn flush() {
    log::logger().flush();
}

/// Where actix's HTTP/1 parser and connection handling log: at ERROR for a
/// request that does not parse, a chunked body that breaks off, a client
/// that hangs up. Any client can cause those, as often as it likes, so they
/// are written at debug level (`DCR_LOG=actix_http=debug` shows them) and
/// never look like a fault of the server.
const CLIENT_MISTAKE_TARGETS: [&str; 2] = ["actix_http::h1::dispatcher", "actix_http::h1::decoder"];

/// What a thread's line buffer keeps between lines: room for any usual line.
const KEPT_LINE_CAPACITY: usize = 4096;

/// The installed logger: env_logger's filter (`DCR_LOG`), with the
/// client-caused errors above lowered to debug before it sees them, and
/// lines shaped by `DCR_LOG_FORMAT`.
#[derive(Debug)]
struct Logger {
    filter: env_logger::Logger,
    format: LogFormat,
}

impl Logger {
    fn lowers(metadata: &log::Metadata<'_>) -> bool {
        metadata.level() < log::Level::Debug && CLIENT_MISTAKE_TARGETS.contains(&metadata.target())
    }

    fn write(&self, record: &log::Record<'_>) {
        if !self.filter.matches(record) {
            return;
        }
        // Each thread shapes its lines in a buffer of its own, kept between
        // lines; a line logged while one is being shaped (from a value's
        // Display) gets a buffer of its own.
        thread_local! {
            static LINE: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
        }
        let urgent = record.level() <= log::Level::Warn;
        let write = |line: &mut Vec<u8>| {
            line.clear();
            shape(self.format, record, line);
            log_sink::write(line, urgent);
            // One long line (a database's error with its query) must not
            // keep its size on every thread that logged it.
            line.shrink_to(KEPT_LINE_CAPACITY);
        };
        let written = LINE
            .try_with(|line| {
                line.try_borrow_mut()
                    .map(|mut line| write(&mut line))
                    .is_ok()
            })
            .unwrap_or(false);
        if !written {
            // Logged while this thread's buffer is in use, or as the thread
            // exits and its buffer is gone.
            write(&mut Vec::new());
        }
    }
}

impl log::Log for Logger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        if Self::lowers(metadata) {
            let lowered = log::Metadata::builder()
                .level(log::Level::Debug)
                .target(metadata.target())
                .build();
            return self.filter.enabled(&lowered);
        }
        self.filter.enabled(metadata)
    }

    fn log(&self, record: &log::Record<'_>) {
        if Self::lowers(record.metadata()) {
            self.write(
                &log::Record::builder()
                    .args(*record.args())
                    .level(log::Level::Debug)
                    .target(record.target())
                    .module_path(record.module_path())
                    .file(record.file())
                    .line(record.line())
                    .key_values(record.key_values())
                    .build(),
            );
        } else {
            self.write(record);
        }
    }

    fn flush(&self) {
        log_sink::flush();
    }
}

/// One line, ending in a newline. Text: `[2026-12-03T20:59:47Z INFO
/// target] message`, as env_logger writes it (the fields are already in the
/// message). JSON: one object, its time to the millisecond.
fn shape(format: LogFormat, record: &log::Record<'_>, line: &mut Vec<u8>) {
    let now = crate::clock::since_epoch();
    // Writing to a Vec fails only where a value's Display does: the line
    // then shows what was written.
    match format {
        LogFormat::Text => {
            line.push(b'[');
            write_time(line, now.as_secs(), None);
            let _ = write!(
                line,
                " {:<5} {}] {}",
                record.level().as_str(),
                record.target(),
                record.args()
            );
        }
        LogFormat::Json => {
            let mut time = Vec::with_capacity(24);
            write_time(&mut time, now.as_secs(), Some(now.subsec_millis()));
            let mut object = Map::new();
            object.insert(
                "time".into(),
                String::from_utf8_lossy(&time).into_owned().into(),
            );
            object.insert("level".into(), record.level().as_str().into());
            object.insert("target".into(), record.target().into());
            object.insert("message".into(), record.args().to_string().into());
            let mut fields = Fields(&mut object);
            // A field that does not convert is left out, never fatal.
            let _ = record.key_values().visit(&mut fields);
            let _ = serde_json::to_writer(&mut *line, &Value::Object(object));
        }
    }
    line.push(b'\n');
}

/// `2026-12-03T20:59:47Z` (RFC 3339, UTC), or with `.123` milliseconds
/// before the `Z`. The seconds' text is made once per second and thread.
fn write_time(line: &mut Vec<u8>, unix_secs: u64, millis: Option<u32>) {
    thread_local! {
        static LAST: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
    }
    let written = LAST.try_with(|last| {
        let mut last = last.borrow_mut();
        if last.0 != unix_secs {
            *last = (unix_secs, seconds_text(unix_secs));
        }
        line.extend_from_slice(last.1.as_bytes());
    });
    if written.is_err() {
        line.extend_from_slice(seconds_text(unix_secs).as_bytes());
    }
    if let Some(millis) = millis {
        let _ = write!(line, ".{millis:03}");
    }
    line.push(b'Z');
}

/// `YYYY-MM-DDTHH:MM:SS`; a time past the calendar (years beyond 9999,
/// far off) as the epoch.
fn seconds_text(unix_secs: u64) -> String {
    i64::try_from(unix_secs)
        .ok()
        .and_then(|secs| crate::clock::utc_text(secs, 'T'))
        .unwrap_or_else(|| "1970-01-01T00:00:00".to_owned())
}

/// A log record's key-values, as JSON members.
struct Fields<'a>(&'a mut Map<String, Value>);

impl<'kvs> log::kv::VisitSource<'kvs> for Fields<'_> {
    fn visit_pair(
        &mut self,
        key: log::kv::Key<'kvs>,
        value: log::kv::Value<'kvs>,
    ) -> Result<(), log::kv::Error> {
        let json = if let Some(number) = value.to_u64() {
            Value::from(number)
        } else if let Some(number) = value.to_i64() {
            Value::from(number)
        } else if let Some(number) = value.to_f64() {
            Value::from(number)
        } else if let Some(flag) = value.to_bool() {
            Value::from(flag)
        } else {
            Value::from(value.to_string())
        };
        self.0.insert(key.as_str().to_owned(), json);
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_in_utc() {
        let cases = [
            (0, None, "1970-01-01T00:00:00Z"),
            (1_796_326_794, None, "2026-12-03T19:39:54Z"),
            (1_796_326_794, Some(7), "2026-12-03T19:39:54.007Z"),
            (951_782_400, Some(999), "2000-02-29T00:00:00.999Z"),
            (253_402_300_799, None, "9999-12-31T23:59:59Z"),
        ];
        for (unix_secs, millis, expected) in cases {
            let mut line = Vec::new();
            write_time(&mut line, unix_secs, millis);
            assert_eq!(String::from_utf8(line).unwrap(), expected, "{unix_secs}");
        }
    }

    #[test]
    fn a_cached_second_is_renewed_when_the_second_changes() {
        let mut line = Vec::new();
        write_time(&mut line, 60, None);
        write_time(&mut line, 61, None);
        write_time(&mut line, 61, None);
        assert_eq!(
            String::from_utf8(line).unwrap(),
            "1970-01-01T00:01:00Z1970-01-01T00:01:01Z1970-01-01T00:01:01Z"
        );
    }

    fn shaped(format: LogFormat, level: log::Level, message: std::fmt::Arguments<'_>) -> String {
        let fields = [("status", log::kv::Value::from(201_u64))];
        let record = log::Record::builder()
            .level(level)
            .target("dcr_server::request")
            .args(message)
            .key_values(&fields)
            .build();
        let mut line = Vec::new();
        shape(format, &record, &mut line);
        String::from_utf8(line).unwrap()
    }

    #[test]
    fn a_text_line_is_env_loggers_without_its_fields() {
        let line = shaped(
            LogFormat::Text,
            log::Level::Info,
            format_args!("POST /register {}", 201),
        );
        let (time, rest) = line.trim_start_matches('[').split_once(' ').unwrap();
        assert_eq!(time.len(), "2026-12-03T20:59:54Z".len(), "{line}");
        assert!(time.ends_with('Z'), "{line}");
        assert_eq!(rest, "INFO  dcr_server::request] POST /register 201\n");
        let warning = shaped(LogFormat::Text, log::Level::Warn, format_args!("w"));
        assert!(
            warning.ends_with(" WARN  dcr_server::request] w\n"),
            "{warning}"
        );
    }

    #[test]
    fn a_json_line_is_one_object_with_the_fields_as_members() {
        let line = shaped(
            LogFormat::Json,
            log::Level::Error,
            format_args!("said \"no\"\nthen {}", 2),
        );
        assert!(
            line.ends_with("}\n") && line.matches('\n').count() == 1,
            "{line}"
        );
        let object: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(object["level"], "ERROR");
        assert_eq!(object["target"], "dcr_server::request");
        assert_eq!(object["message"], "said \"no\"\nthen 2");
        assert_eq!(object["status"], 201);
        let time = object["time"].as_str().unwrap();
        assert_eq!(time.len(), "2026-12-03T20:59:54.007Z".len(), "{time}");
        assert_eq!(&time[19..20], ".", "{time}");
    }
}
