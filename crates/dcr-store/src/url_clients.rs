//! The one thing stored about a URL client id: whether an operator disabled
//! it. Its registration is the document at the URL, fetched and cached by
//! the server.

use dcr_core::{EventKind, Occasion};
use diesel::prelude::*;

use crate::audit::{self, Subject};
use crate::schema::url_client_states;
use crate::{Store, StoreError};

impl Store {
    /// Whether a URL client id may pass credential checks: yes, unless an
    /// operator disabled it.
    pub fn url_client_active(&self, url: &str) -> Result<bool, StoreError> {
        let state: Option<bool> = self.with_conn(|conn, _| {
            url_client_states::table
                .find(url)
                .select(url_client_states::is_active)
                .first(conn)
                .optional()
        })?;
        Ok(state.unwrap_or(true))
    }

    /// Enables or disables a URL client id. Only a change of state is
    /// recorded in the audit trail (with the URL as the client id).
    pub fn set_url_client_active(
        &self,
        url: &str,
        active: bool,
        by: &Occasion,
    ) -> Result<(), StoreError> {
        self.with_conn(|conn, _| {
            conn.transaction(|conn| {
                let current: Option<bool> = url_client_states::table
                    .find(url)
                    .select(url_client_states::is_active)
                    .first(conn)
                    .optional()?;
                if current.unwrap_or(true) == active {
                    return Ok(());
                }
                let changed = diesel::update(url_client_states::table.find(url))
                    .set((
                        url_client_states::is_active.eq(active),
                        url_client_states::changed_at.eq(by.at),
                    ))
                    .execute(conn)?;
                if changed == 0 {
                    // A first change of this URL; of two at once, one inserts
                    // and the other finds the row (its transaction fails and
                    // the operator's retry sees the state already set).
                    diesel::insert_into(url_client_states::table)
                        .values((
                            url_client_states::client_id.eq(url),
                            url_client_states::is_active.eq(active),
                            url_client_states::changed_at.eq(by.at),
                        ))
                        .execute(conn)?;
                }
                let kind = if active {
                    EventKind::Enabled
                } else {
                    EventKind::Disabled
                };
                audit::record(conn, kind, Subject::Client(url), by)
            })
        })
    }
}
