//! When a failed call or mail is tried again.

use rand::Rng;

use crate::config::DeliverySettings;

/// Milliseconds to wait after the `attempts`-th failure: base·2^(attempts-1), capped, with up
/// to ±25 % jitter so many failed deliveries do not all come back at once.
pub fn backoff_ms(attempts: i32, settings: &DeliverySettings) -> i64 {
    let exp = (attempts.max(1) - 1).min(30) as u32;
    let delay = settings
        .backoff_base_ms
        .saturating_mul(1u64 << exp)
        .min(settings.backoff_max_ms) as f64;
    let jitter = rand::rng().random_range(0.75..=1.25);
    (delay * jitter) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_within_jitter_and_is_capped() {
        let s = DeliverySettings {
            poll_interval_ms: 10,
            backoff_base_ms: 1000,
            backoff_max_ms: 8000,
            max_attempts: 5,
            timeout_ms: 1000,
            lease_seconds: 1,
        };
        for (attempts, expected) in [(1, 1000.0), (2, 2000.0), (3, 4000.0), (9, 8000.0)] {
            let got = backoff_ms(attempts, &s) as f64;
            assert!(
                got >= expected * 0.75 && got <= expected * 1.25,
                "{attempts}: {got}"
            );
        }
    }
}
