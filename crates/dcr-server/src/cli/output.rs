//! How the commands print: one object as lines or JSON, tables for people,
//! times as calendar dates.

use std::io::Write;

use serde_json::{Map, Value};

use super::CliError;

/// One object: a line per member for people, or JSON.
pub(super) fn print_view(
    view: Map<String, Value>,
    json: bool,
    out: &mut impl Write,
) -> Result<(), CliError> {
    if json {
        writeln!(out, "{}", Value::Object(view))?;
        return Ok(());
    }
    let width = view.keys().map(String::len).max().unwrap_or(0);
    for (key, value) in &view {
        let shown = match value {
            Value::String(text) => text.clone(),
            Value::Null => "-".to_owned(),
            Value::Array(items) => items
                .iter()
                .map(|item| {
                    item.as_str()
                        .map_or_else(|| item.to_string(), str::to_owned)
                })
                .collect::<Vec<_>>()
                .join(" "),
            other => other.to_string(),
        };
        writeln!(out, "{key:width$}  {shown}")?;
    }
    Ok(())
}

/// Rows under a header, the columns as wide as their widest cell.
pub(super) fn write_table<const N: usize>(
    out: &mut impl Write,
    header: [&str; N],
    rows: &[[String; N]],
) -> std::io::Result<()> {
    Table::new(header).write(out, rows)
}

/// A table printed page by page, so a long one is never held whole: the
/// header comes with the first page, and each column is as wide as its
/// widest cell so far (a later, wider cell pushes its own row only).
pub(super) struct Table<'h, const N: usize> {
    header: [&'h str; N],
    widths: [usize; N],
    started: bool,
}

impl<'h, const N: usize> Table<'h, N> {
    pub(super) fn new(header: [&'h str; N]) -> Self {
        Self {
            header,
            widths: header.map(str::len),
            started: false,
        }
    }

    /// Prints `rows` (after the header, the first time).
    pub(super) fn write(
        &mut self,
        out: &mut impl Write,
        rows: &[[String; N]],
    ) -> std::io::Result<()> {
        for row in rows {
            for (width, cell) in self.widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let widths = self.widths;
        let line = |cells: Vec<&str>| {
            cells
                .iter()
                .zip(widths)
                .map(|(cell, width)| format!("{cell:width$}"))
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_owned()
        };
        if !self.started {
            writeln!(out, "{}", line(self.header.to_vec()))?;
            self.started = true;
        }
        for row in rows {
            writeln!(out, "{}", line(row.iter().map(String::as_str).collect()))?;
        }
        Ok(())
    }
}

/// Unix seconds as `YYYY-MM-DD HH:MM:SS UTC`; a time outside the calendar's
/// range (years beyond 9999) is shown as the number it is.
pub fn format_time(unix: i64) -> String {
    crate::clock::utc_text(unix, ' ').map_or_else(
        || format!("{unix} (Unix seconds)"),
        |text| format!("{text} UTC"),
    )
}

#[cfg(test)]
mod tests {
    use super::format_time;

    #[test]
    fn times_are_utc_calendar_dates() {
        let cases = [
            (0, "1970-01-01 00:00:00 UTC"),
            (951_782_400, "2000-02-29 00:00:00 UTC"),
            (1_795_888_964, "2026-11-28 18:02:44 UTC"),
            (-1, "1969-12-31 23:59:59 UTC"),
            (i64::MAX, "9223372036854775807 (Unix seconds)"),
        ];
        for (unix, expected) in cases {
            assert_eq!(format_time(unix), expected);
        }
    }
}
