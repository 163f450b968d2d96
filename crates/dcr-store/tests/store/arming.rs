//! The arming of the never-used rule: until a verify call or a used report
//! has shown that the deployment reports use, the rule deletes nothing; once
//! armed, no client goes sooner than one lifetime after the arming. The
//! arming is one row, kept across restarts, and the first one stands.

use dcr_store::Expiry;

use super::purge::{DAY, NOW, registered_at};
use super::*;

on_both_backends!(
    unarmed_the_never_used_rule_deletes_nothing,
    the_first_arming_stands_and_survives_a_restart,
    replicas_arming_at_once_agree,
    armed_the_rule_waits_one_lifetime_then_deletes_as_before,
);

const WEEK: u64 = 7 * DAY as u64;

/// Never armed: a client registered long ago and never used is kept; the
/// idle rule, which needs a recorded use, still applies.
fn unarmed_the_never_used_rule_deletes_nothing(db: &TestDatabase) {
    let store = db.store();
    let never_used = registered_at(&store, NOW - 300 * DAY, None, 1);
    let idle = registered_at(&store, NOW - 300 * DAY, Some(NOW - 200 * DAY), 2);
    assert_eq!(store.unused_purge_armed_at().unwrap(), None);
    let expiry = Expiry::at(NOW, WEEK, 90 * DAY as u64);

    assert_eq!(store.expired_clients(&expiry, 100).unwrap(), vec![idle]);
    assert_eq!(
        store.purge_expired(&expiry, 100, EVENT_TIME).unwrap(),
        Some(1)
    );
    assert!(store.find_client(&never_used).is_ok());
    assert!(matches!(
        store.find_client(&idle),
        Err(StoreError::NotFound)
    ));

    let unused_only = Expiry::at(NOW, WEEK, 0);
    assert!(store.expired_clients(&unused_only, 100).unwrap().is_empty());
    assert_eq!(
        store.purge_expired(&unused_only, 100, EVENT_TIME).unwrap(),
        Some(0)
    );
    assert!(store.find_client(&never_used).is_ok());
}

/// Arming again, earlier or later, changes nothing; a new store on the same
/// database (a restart, another replica) reads the same arming.
fn the_first_arming_stands_and_survives_a_restart(db: &TestDatabase) {
    let store = db.store();
    assert_eq!(store.arm_unused_purge(NOW).unwrap(), NOW);
    assert_eq!(store.arm_unused_purge(NOW + DAY).unwrap(), NOW);
    assert_eq!(store.arm_unused_purge(NOW - DAY).unwrap(), NOW);
    assert_eq!(store.unused_purge_armed_at().unwrap(), Some(NOW));
    drop(store);

    let restarted = db.store();
    assert_eq!(restarted.unused_purge_armed_at().unwrap(), Some(NOW));
    assert_eq!(restarted.arm_unused_purge(NOW + 2 * DAY).unwrap(), NOW);
}

/// Replicas that arm at the same moment, each with its own pool: none fails,
/// and all report the one arming that was kept.
fn replicas_arming_at_once_agree(db: &TestDatabase) {
    let replicas: Vec<Store> = (0..4).map(|_| db.store()).collect();
    let start = std::sync::Barrier::new(replicas.len());
    let armed: Vec<i64> = std::thread::scope(|scope| {
        let arming: Vec<_> = replicas
            .iter()
            .zip(0..)
            .map(|(store, offset)| {
                let start = &start;
                scope.spawn(move || {
                    start.wait();
                    store.arm_unused_purge(NOW + offset).unwrap()
                })
            })
            .collect();
        arming
            .into_iter()
            .map(|thread| thread.join().unwrap())
            .collect()
    });
    let kept = replicas[0].unused_purge_armed_at().unwrap().unwrap();
    assert!((NOW..NOW + 4).contains(&kept), "{kept}");
    assert_eq!(armed, vec![kept; 4]);
}

/// Armed a day before `NOW`, with a week's lifetime: a client never used
/// since long before the arming is kept until a week after the arming, to
/// the second, and then goes as before; a client registered after the
/// arming keeps its own week. Across a restart alike.
fn armed_the_rule_waits_one_lifetime_then_deletes_as_before(db: &TestDatabase) {
    let store = db.store();
    let armed_at = NOW - DAY;
    let long_unused = registered_at(&store, NOW - 300 * DAY, None, 3);
    store.arm_unused_purge(armed_at).unwrap();
    let newer = registered_at(&store, NOW, None, 4);
    let used = registered_at(&store, NOW - 300 * DAY, Some(armed_at), 5);

    for now in [NOW, armed_at + 7 * DAY] {
        let expiry = Expiry::at(now, WEEK, 0);
        assert!(
            store.expired_clients(&expiry, 100).unwrap().is_empty(),
            "at {now}"
        );
        assert_eq!(
            store.purge_expired(&expiry, 100, EVENT_TIME).unwrap(),
            Some(0),
            "at {now}"
        );
    }
    assert!(store.find_client(&long_unused).is_ok());
    drop(store);

    let restarted = db.store();
    let a_week_after_arming = Expiry::at(armed_at + 7 * DAY + 1, WEEK, 0);
    assert_eq!(
        restarted
            .expired_clients(&a_week_after_arming, 100)
            .unwrap(),
        vec![long_unused]
    );
    assert_eq!(
        restarted
            .purge_expired(&a_week_after_arming, 100, EVENT_TIME)
            .unwrap(),
        Some(1)
    );
    assert!(matches!(
        restarted.find_client(&long_unused),
        Err(StoreError::NotFound)
    ));
    for kept in [newer, used] {
        assert!(restarted.find_client(&kept).is_ok());
    }
    let a_week_after_newer = Expiry::at(NOW + 7 * DAY + 1, WEEK, 0);
    assert_eq!(
        restarted.expired_clients(&a_week_after_newer, 100).unwrap(),
        vec![newer]
    );
}

/// The thresholds themselves: off while unarmed or within a lifetime of the
/// arming, unchanged after it; the idle threshold never moves.
#[test]
fn arming_moves_only_the_never_used_threshold() {
    let expiry = Expiry::at(NOW, WEEK, WEEK);
    let week_ago = NOW - 7 * DAY;
    assert_eq!(expiry.unused_before, Some(week_ago));
    for (armed_at, unused_before) in [
        (None, None),
        (Some(NOW), None),
        (Some(week_ago), None),
        (Some(week_ago - 1), Some(week_ago)),
        (Some(0), Some(week_ago)),
    ] {
        let after = expiry.after_arming(armed_at);
        assert_eq!(after.unused_before, unused_before, "armed at {armed_at:?}");
        assert_eq!(after.idle_before, Some(week_ago), "armed at {armed_at:?}");
    }
    assert_eq!(
        Expiry::at(NOW, 0, 0).after_arming(Some(0)).unused_before,
        None
    );
}
