//! The process's log: `DCR_LOG` filters it (env_logger syntax), and
//! `DCR_LOG_FORMAT` shapes it: `text` for people, `json` (one object per
//! line) for log pipelines. Lines that carry fields (each request's, see
//! `request_log`) carry them as JSON members; in text they are already in
//! the message.

use std::io::Write as _;

use serde_json::{Map, Value};

use crate::config::LogFormat;

/// Installs the logger; call once, first thing.
pub fn init(format: LogFormat) {
    let mut builder =
        env_logger::Builder::from_env(env_logger::Env::default().filter_or("DCR_LOG", "info"));
    match format {
        // The message says it all; the fields would repeat it.
        LogFormat::Text => builder.format_key_values(|_, _| Ok(())),
        LogFormat::Json => builder.format(|buf, record| {
            let mut line = Map::new();
            line.insert("time".into(), buf.timestamp_millis().to_string().into());
            line.insert("level".into(), record.level().as_str().into());
            line.insert("target".into(), record.target().into());
            line.insert("message".into(), record.args().to_string().into());
            let mut fields = Fields(&mut line);
            // A field that does not convert is left out, never fatal.
            let _ = record.key_values().visit(&mut fields);
            writeln!(buf, "{}", Value::Object(line))
        }),
    };
    let logger = ClientMistakesToDebug(builder.build());
    log::set_max_level(logger.0.filter());
    // Only fails when a logger is already installed (a second call).
    let _ = log::set_boxed_logger(Box::new(logger));
}

/// Where actix's HTTP/1 parser and connection handling log: at ERROR for a
/// request that does not parse, a chunked body that breaks off, a client
/// that hangs up. Any client can cause those, as often as it likes, so they
/// are written at debug level (`DCR_LOG=actix_http=debug` shows them) and
/// never look like a fault of the server.
const CLIENT_MISTAKE_TARGETS: [&str; 2] = ["actix_http::h1::dispatcher", "actix_http::h1::decoder"];

/// The installed logger: env_logger, with the client-caused errors above
/// lowered to debug before its filter sees them.
#[derive(Debug)]
struct ClientMistakesToDebug(env_logger::Logger);

impl ClientMistakesToDebug {
    fn lowers(metadata: &log::Metadata<'_>) -> bool {
        metadata.level() < log::Level::Debug && CLIENT_MISTAKE_TARGETS.contains(&metadata.target())
    }
}

impl log::Log for ClientMistakesToDebug {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        if Self::lowers(metadata) {
            let lowered = log::Metadata::builder()
                .level(log::Level::Debug)
                .target(metadata.target())
                .build();
            return self.0.enabled(&lowered);
        }
        self.0.enabled(metadata)
    }

    fn log(&self, record: &log::Record<'_>) {
        if Self::lowers(record.metadata()) {
            self.0.log(
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
            self.0.log(record);
        }
    }

    fn flush(&self) {
        self.0.flush();
    }
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
