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

/// The client an address counts as: itself, or for IPv6 its /64.
fn client_of(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(std::net::Ipv6Addr::from(prefix))
        }
    }
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

    /// Whether a chat server's key goes unlimited.
    pub fn lets_through(&self, chat_server: bool) -> bool {
        chat_server && !self.chat_servers
    }

    /// Takes one request from the address's bucket (an IPv6 address's /64: one host's whole
    /// prefix counts as one client); `429` when it is empty.
    pub fn admit_address(&self, address: Option<IpAddr>) -> Result<(), ApiError> {
        if let (Some(limiter), Some(address)) = (&self.per_address, address) {
            limiter
                .check_key(&client_of(address))
                .map_err(|until| self.refused("client address", until))?;
        }
        Ok(())
    }

    /// Takes one request from the key's bucket; `429` when it is empty.
    pub fn admit_key(&self, api_key_id: i64) -> Result<(), ApiError> {
        if let Some(limiter) = &self.per_key {
            limiter
                .check_key(&api_key_id)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_host_counts_as_its_64_and_an_ipv4_host_as_itself() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff:ffff:ffff:ffff".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_of(a), client_of(b));
        assert_ne!(client_of(a), client_of(other));
        let v4: IpAddr = "192.0.2.7".parse().unwrap();
        assert_eq!(client_of(v4), v4);
    }
}
