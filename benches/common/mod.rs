//! Timing helpers the benchmarks share.

use std::future::Future;
use std::time::{Duration, Instant};

/// Runs `f` `runs` times; the durations, fastest first.
pub async fn time<F, Fut, T, E>(runs: usize, mut f: F) -> Result<Vec<Duration>, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        std::hint::black_box(f().await?);
        samples.push(start.elapsed());
    }
    samples.sort();
    Ok(samples)
}

/// One line: name, p50, p95, p99 and max.
pub fn report(name: &str, samples: &[Duration]) {
    let pct = |p: f64| samples[((samples.len() as f64 - 1.0) * p) as usize];
    println!(
        "{name:<50} p50 {:>9.1?}  p95 {:>9.1?}  p99 {:>9.1?}  max {:>9.1?}",
        pct(0.5),
        pct(0.95),
        pct(0.99),
        pct(1.0)
    );
}
