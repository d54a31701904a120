//! Rate limits on the API: a bucket of requests per API key and per client address, kept in
//! this instance's memory (each instance behind a load balancer counts its own).
//!
//! `governor` keeps each bucket as GCRA's one timestamp, which admits exactly what a token
//! bucket of the same rate and size admits: up to `burst` requests at once, then `per_second`.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, NotUntil, Quota, RateLimiter};

use crate::config::LimitSettings;
use crate::error::ApiError;

pub struct Limits {
    per_key: Option<DefaultKeyedRateLimiter<i64>>,
    per_address: Option<DefaultKeyedRateLimiter<IpAddr>>,
    /// Whether chat servers' keys are limited too.
    chat_servers: bool,
    clock: DefaultClock,
}

/// Who is asking: the key (if a valid one came) and the address.
pub struct Caller {
    pub api_key_id: Option<i64>,
    /// A chat server's key: `API_CHAT`, bound to no agent.
    pub chat_server: bool,
    pub address: Option<IpAddr>,
}

fn limiter<K: Hash + Eq + Clone>(
    per_second: u32,
    burst: u32,
) -> Option<DefaultKeyedRateLimiter<K>> {
    let rate = NonZeroU32::new(per_second)?;
    let burst = NonZeroU32::new(burst).unwrap_or(rate);
    Some(RateLimiter::keyed(
        Quota::per_second(rate).allow_burst(burst),
    ))
}

impl Limits {
    pub fn new(settings: &LimitSettings) -> Limits {
        Limits {
            per_key: limiter(settings.key_per_second, settings.key_burst),
            per_address: limiter(settings.address_per_second, settings.address_burst),
            chat_servers: settings.chat_servers,
            clock: DefaultClock::default(),
        }
    }

    /// Takes one request from the caller's buckets: the address's, then the key's. An empty
    /// one is `429`, with the seconds until it holds a request again.
    pub fn admit(&self, caller: &Caller) -> Result<(), ApiError> {
        if caller.chat_server && !self.chat_servers {
            return Ok(());
        }
        if let (Some(limiter), Some(address)) = (&self.per_address, caller.address) {
            limiter
                .check_key(&address)
                .map_err(|until| self.refused("client address", until))?;
        }
        if let (Some(limiter), Some(key)) = (&self.per_key, caller.api_key_id) {
            limiter
                .check_key(&key)
                .map_err(|until| self.refused("API key", until))?;
        }
        Ok(())
    }

    fn refused(
        &self,
        whose: &'static str,
        until: NotUntil<<DefaultClock as Clock>::Instant>,
    ) -> ApiError {
        let wait = until.wait_time_from(self.clock.now());
        // Whole seconds, rounded up: a client that waits as told is admitted.
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        ApiError::RateLimited(whose, seconds.max(1))
    }

    /// Forgets the buckets that are full again, so memory follows the callers of late.
    pub fn forget_idle(&self) {
        for limiter in self.per_key.iter() {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        for limiter in self.per_address.iter() {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}
