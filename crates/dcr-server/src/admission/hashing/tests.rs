use super::*;

fn pool(threads: usize, max_wait_ms: u64) -> HashingPool {
    HashingPool::new(
        threads,
        1000,
        Duration::from_millis(max_wait_ms),
        Duration::from_millis(1),
    )
}

fn cost(cost: u32) -> BcryptCost {
    BcryptCost::new(cost).unwrap()
}

#[test]
fn the_estimate_is_the_line_times_the_time_per_item_over_the_threads() {
    let pool = pool(2, 2000);
    pool.micros_per_item.store(200_000, Ordering::Relaxed);
    // Free threads, nobody waiting: no wait.
    assert_eq!(pool.expected_wait(0), Duration::ZERO);
    let _busy = (
        pool.permits.clone().try_acquire_owned().unwrap(),
        pool.permits.clone().try_acquire_owned().unwrap(),
    );
    assert_eq!(pool.expected_wait(0), Duration::from_millis(200));
    assert_eq!(pool.expected_wait(1), Duration::from_millis(200));
    assert_eq!(pool.expected_wait(2), Duration::from_millis(400));
    assert_eq!(pool.expected_wait(19), Duration::from_millis(2000));
    assert_eq!(pool.expected_wait(20), Duration::from_millis(2200));
}

#[test]
fn a_line_longer_than_the_wait_allows_is_refused_with_when_to_retry() {
    let pool = pool(1, 1000);
    pool.micros_per_item.store(300_000, Ordering::Relaxed);
    let _busy = pool.permits.clone().try_acquire_owned().unwrap();
    // 300 ms, 600 ms, 900 ms: admitted; the fourth would wait 1.2 s.
    let slots: Vec<_> = (0..3).map(|_| pool.join_line().unwrap()).collect();
    match pool.join_line() {
        Err(HashingError::Busy { retry_after_secs }) => assert_eq!(retry_after_secs, 2),
        other => panic!("{other:?}"),
    }
    drop(slots);
    assert!(pool.join_line().is_ok());
}

/// Before any item has been timed, the line is held by the estimate
/// from the configured cost: a burst at a fresh pool is not all admitted.
#[test]
fn a_fresh_pool_admits_by_its_first_estimate() {
    let pool = HashingPool::new(
        1,
        1000,
        Duration::from_millis(2000),
        first_estimate(cost(12)),
    );
    let _busy = pool.permits.clone().try_acquire_owned().unwrap();
    // 0.82 s and 1.64 s: admitted; the third would wait 2.46 s.
    let _slots: Vec<_> = (0..2).map(|_| pool.join_line().unwrap()).collect();
    match pool.join_line() {
        Err(HashingError::Busy { retry_after_secs }) => assert_eq!(retry_after_secs, 3),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_first_estimate_doubles_with_each_cost_step() {
    assert_eq!(first_estimate(cost(4)), Duration::from_micros(3_200));
    assert_eq!(first_estimate(cost(12)), Duration::from_micros(819_200));
    assert_eq!(first_estimate(cost(13)), Duration::from_micros(1_638_400));
    assert!(first_estimate(cost(31)) > Duration::from_secs(86_400));
}

/// The calibration hash at start-up is the first measurement of every
/// pool it is given, and it does not hold up the caller.
#[test]
fn calibration_replaces_the_first_estimate_of_each_pool() {
    let pools = [
        HashingPool::new(1, 1, Duration::from_secs(1), Duration::from_secs(60)),
        HashingPool::new(1, 1, Duration::from_secs(1), Duration::from_secs(60)),
    ];
    calibrate(cost(4), pools.to_vec());
    let deadline = Instant::now() + Duration::from_secs(30);
    while !pools
        .iter()
        .all(|pool| pool.measured.load(Ordering::Acquire))
    {
        assert!(Instant::now() < deadline, "calibration never finished");
        std::thread::sleep(Duration::from_millis(1));
    }
    for pool in &pools {
        let measured = pool.micros_per_item.load(Ordering::Relaxed);
        // A cost-4 hash: far under the minute assumed, and above zero.
        assert!(measured > 0 && measured < 60_000_000, "{measured}");
    }
}

#[test]
fn the_slot_cap_holds_too() {
    let pool = HashingPool::new(1, 2, Duration::from_secs(3600), Duration::from_micros(1));
    let _busy = pool.permits.clone().try_acquire_owned().unwrap();
    let _a = pool.join_line().unwrap();
    let _b = pool.join_line().unwrap();
    assert!(matches!(pool.join_line(), Err(HashingError::Busy { .. })));
}

#[test]
fn the_first_measurement_replaces_the_estimate_and_the_average_follows() {
    let pool = pool(1, 1000);
    pool.record(Duration::from_millis(200));
    assert_eq!(pool.micros_per_item.load(Ordering::Relaxed), 200_000);
    assert_eq!(pool.micros_deviation.load(Ordering::Relaxed), 100_000);
    pool.record(Duration::from_millis(400));
    assert_eq!(pool.micros_per_item.load(Ordering::Relaxed), 225_000);
    // 3/4 of 100 ms and 1/4 of the 200 ms difference.
    assert_eq!(pool.micros_deviation.load(Ordering::Relaxed), 125_000);
    // Steady items: the deviation fades, the average stays.
    for _ in 0..40 {
        pool.record(Duration::from_millis(225));
    }
    assert!(pool.micros_deviation.load(Ordering::Relaxed) < 1_000);
}

/// Admission counts items at their mean plus twice their deviation; the
/// answer's Retry-After is from the mean.
#[test]
fn admission_allows_for_items_slower_than_the_mean() {
    let pool = pool(1, 1000);
    pool.micros_per_item.store(300_000, Ordering::Relaxed);
    pool.micros_deviation.store(100_000, Ordering::Relaxed);
    let _busy = pool.permits.clone().try_acquire_owned().unwrap();
    assert_eq!(pool.worst_wait(0), Duration::from_millis(500));
    assert_eq!(pool.expected_wait(1), Duration::from_millis(600));
    // Up to 0.5 s and 1 s: admitted; the third, up to 1.5 s, is refused
    // and told to retry in 1 s (0.9 s at the mean).
    let _slots: Vec<_> = (0..2).map(|_| pool.join_line().unwrap()).collect();
    match pool.join_line() {
        Err(HashingError::Busy { retry_after_secs }) => assert_eq!(retry_after_secs, 1),
        other => panic!("{other:?}"),
    }
}

#[test]
fn retry_after_rounds_up_to_whole_seconds() {
    assert_eq!(retry_after(Duration::ZERO), 1);
    assert_eq!(retry_after(Duration::from_millis(1)), 1);
    assert_eq!(retry_after(Duration::from_millis(1000)), 1);
    assert_eq!(retry_after(Duration::from_millis(1001)), 2);
    assert_eq!(retry_after(Duration::from_secs(33)), 33);
}

/// On shutdown, work waiting for a thread is answered at once; work
/// already running finishes.
#[tokio::test]
async fn closing_refuses_waiting_work_and_lets_running_work_finish() {
    let pool = pool(1, 60_000);
    let (release, released) = std::sync::mpsc::channel::<()>();
    let running = {
        let pool = pool.clone();
        tokio::spawn(async move {
            pool.run(move || {
                released.recv().unwrap();
                "done"
            })
            .await
        })
    };
    while pool.permits.available_permits() > 0 {
        tokio::task::yield_now().await;
    }
    let waiting = {
        let pool = pool.clone();
        tokio::spawn(async move { pool.run(|| "never").await })
    };
    while pool.waiting.load(Ordering::Acquire) == 0 {
        tokio::task::yield_now().await;
    }
    pool.close();
    assert!(matches!(
        waiting.await.unwrap(),
        Err(HashingError::Busy { .. })
    ));
    release.send(()).unwrap();
    assert_eq!(running.await.unwrap().unwrap(), "done");
}
