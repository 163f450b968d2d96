//! `clients events`: a client's audit trail, oldest first, read and printed
//! page by page as the admin API pages it, so a long trail costs one page
//! of memory.

use std::io::Write;

use dcr_core::Event;
use dcr_store::Store;

use super::output::Table;
use super::{CliError, EventsArgs, format_time};
use crate::admin::operations::clients::{MAX_EVENTS, events_page};
use crate::admin::operations::{ClientRef, OperationError};

/// Events read per query (the admin API's largest page).
const PAGE: i64 = MAX_EVENTS;

pub(super) fn events(
    args: &EventsArgs,
    store: &Store,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let client = ClientRef::parse(&args.client_id)?;
    // An unknown client is refused by the first page, before anything is
    // printed.
    let first = events_page(store, &client, None, PAGE)?.events;
    print_trail(
        first,
        |after| Ok(events_page(store, &client, Some(after), PAGE)?.events),
        usize::try_from(PAGE).unwrap_or(usize::MAX),
        args.json,
        out,
    )
}

/// Prints the trail from its `first` page on, each page written before the
/// next is read (`next_page` takes the id of the last event printed). The
/// JSON form is the one document `{"events": [...]}`, written as it comes.
fn print_trail(
    first: Vec<Event>,
    mut next_page: impl FnMut(i64) -> Result<Vec<Event>, OperationError>,
    page_size: usize,
    json: bool,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let mut table = Table::new(["AT", "EVENT", "ACTOR", "TOKEN"]);
    let mut printed = 0_usize;
    if json {
        write!(out, "{{\"events\":[")?;
    }
    let mut page = first;
    loop {
        if json {
            for event in &page {
                let separator = if printed == 0 { "" } else { "," };
                write!(out, "{separator}{}", crate::admin::views::event_view(event))?;
                printed += 1;
            }
        } else {
            let rows: Vec<[String; 4]> = page.iter().map(row).collect();
            table.write(out, &rows)?;
            printed += rows.len();
        }
        let last = page.last().map(|event| event.id);
        match last {
            Some(after) if page.len() >= page_size => page = next_page(after)?,
            _ => break,
        }
    }
    if json {
        writeln!(out, "]}}")?;
    } else {
        writeln!(out, "\n{printed} event(s)")?;
    }
    Ok(())
}

fn row(event: &Event) -> [String; 4] {
    [
        format_time(event.at),
        event.kind.to_string(),
        event.actor.to_stored(),
        event.token_id.clone().unwrap_or_default(),
    ]
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use dcr_core::{Actor, EventKind};

    use super::*;

    /// Output that a test can read while the command still writes it.
    #[derive(Clone, Default)]
    struct Shared(Rc<RefCell<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Shared {
        fn text(&self) -> String {
            String::from_utf8(self.0.borrow().clone()).unwrap()
        }
    }

    fn event(id: i64) -> Event {
        Event {
            id,
            kind: if id == 1 {
                EventKind::Registered
            } else {
                EventKind::Disabled
            },
            at: 1_795_888_964 + id,
            actor: if id == 1 {
                Actor::Client(Some("2001:db8::1".into()))
            } else {
                Actor::Admin
            },
            client_id: Some("c".into()),
            token_id: None,
        }
    }

    /// Five events in pages of two: each page is printed before the next
    /// is asked for, and the whole is what one read would print.
    fn print_in_pages(json: bool) -> String {
        let out = Shared::default();
        let watched = out.clone();
        let mut asked = Vec::new();
        let next_page = |after: i64| {
            let text = watched.text();
            let shown = if json {
                format!("\"id\":{after},")
            } else {
                format_time(1_795_888_964 + after)
            };
            assert!(
                text.contains(&shown),
                "{after} printed before the next page: {text}"
            );
            asked.push(after);
            Ok((after + 1..=(after + 2).min(5)).map(event).collect())
        };
        print_trail(
            vec![event(1), event(2)],
            next_page,
            2,
            json,
            &mut out.clone(),
        )
        .unwrap();
        assert_eq!(asked, vec![2, 4]);
        out.text()
    }

    #[test]
    fn the_trail_is_printed_page_by_page() {
        let json: serde_json::Value = serde_json::from_str(&print_in_pages(true)).unwrap();
        let events: Vec<serde_json::Value> = (1..=5)
            .map(|id| crate::admin::views::event_view(&event(id)))
            .collect();
        assert_eq!(json, serde_json::json!({ "events": events }));

        let table = print_in_pages(false);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 1 + 5 + 2, "{table}");
        assert!(lines[0].starts_with("AT"), "{table}");
        assert!(lines[1].contains("registered") && lines[1].contains("2001:db8::1"));
        // Columns keep the widths of the first page's widest cells.
        let actor_column = lines[1].find("2001:db8::1").unwrap();
        for line in &lines[2..6] {
            assert_eq!(line.find("admin"), Some(actor_column), "{table}");
        }
        assert_eq!(lines[7], "5 event(s)");
    }

    #[test]
    fn an_empty_trail_is_an_empty_list() {
        let mut out = Vec::new();
        print_trail(Vec::new(), |_| unreachable!(), 2, true, &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "{\"events\":[]}\n");
        let mut out = Vec::new();
        print_trail(Vec::new(), |_| unreachable!(), 2, false, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "AT  EVENT  ACTOR  TOKEN\n\n0 event(s)\n"
        );
    }
}
