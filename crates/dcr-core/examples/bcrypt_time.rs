//! Prints the mean milliseconds per bcrypt hash of a client secret:
//! `bcrypt_time COST ROUNDS`. The load benchmark compares confidential
//! registration throughput with cores / this time.

use std::time::Instant;

use dcr_core::{BcryptCost, ClientSecret};
use rand::rngs::OsRng;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let cost = BcryptCost::new(args.next().unwrap_or_else(|| "12".into()).parse()?)?;
    let rounds: u32 = args.next().unwrap_or_else(|| "20".into()).parse()?;
    let secret = ClientSecret::generate(&mut OsRng);
    let started = Instant::now();
    for _ in 0..rounds {
        secret.hash(cost, &mut OsRng)?;
    }
    let per_hash = started.elapsed().as_secs_f64() * 1000.0 / f64::from(rounds.max(1));
    println!("{per_hash:.1}");
    Ok(())
}
