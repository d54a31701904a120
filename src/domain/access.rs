//! The tenant's domain whitelist and IP blacklist, as checkOriginAndIP applies them.

use std::net::IpAddr;

use ipnet::{IpNet, Ipv4Net};

/// An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) is its IPv4 address.
pub fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

/// What a client address counts as for per-address limits: an IPv4 address (an
/// IPv4-mapped IPv6 one as IPv4), or an IPv6 address's /64, which one client usually holds
/// whole.
pub fn address_scope(ip: IpAddr) -> String {
    match canonical_ip(ip) {
        IpAddr::V6(v6) => ipnet::Ipv6Net::new(v6, 64)
            .map(|net| net.trunc().to_string())
            .unwrap_or_else(|_| v6.to_string()),
        v4 => v4.to_string(),
    }
}

/// Parses `10.0.0.0/8`, `2001:db8::/32` or a single address into its canonical range:
/// host bits cleared, IPv4-mapped IPv6 ranges written as IPv4.
pub fn parse_cidr(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    let net = match text.parse::<IpNet>() {
        Ok(net) => net,
        Err(_) => text
            .parse::<IpAddr>()
            .map(IpNet::from)
            .map_err(|_| format!("{text:?} is not an IP address or CIDR range"))?,
    };
    let net = match net {
        IpNet::V6(v6) if v6.prefix_len() >= 96 => match v6.addr().to_ipv4_mapped() {
            Some(v4) => {
                IpNet::V4(Ipv4Net::new(v4, v6.prefix_len() - 96).expect("prefix within 0..=32"))
            }
            None => IpNet::V6(v6),
        },
        other => other,
    };
    Ok(net.trunc())
}

/// Normalizes a domain for the whitelist: lower case, no trailing dot.
pub fn normalize_domain(domain: &str) -> Result<String, String> {
    let d = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    let valid = !d.is_empty()
        && d.len() <= 253
        && d.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if valid {
        Ok(d)
    } else {
        Err(format!("{domain:?} is not a domain name"))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessDecision {
    pub origin_allowed: bool,
    pub ip_allowed: bool,
    pub reason: String,
}

impl AccessDecision {
    pub fn allowed(&self) -> bool {
        self.origin_allowed && self.ip_allowed
    }
}

/// An empty whitelist allows every origin; `example.com` allows itself and its subdomains.
pub fn origin_allowed(origin: &str, whitelist: &[String]) -> bool {
    let origin = origin.trim_end_matches('.').to_ascii_lowercase();
    whitelist.is_empty()
        || whitelist.iter().any(|d| {
            origin == *d
                || origin
                    .strip_suffix(d.as_str())
                    .is_some_and(|rest| rest.ends_with('.'))
        })
}

pub fn decide(
    origin: &str,
    ip: IpAddr,
    whitelist: &[String],
    blacklist: &[String],
) -> AccessDecision {
    let ip = canonical_ip(ip);
    let origin_ok = origin_allowed(origin, whitelist);
    let blocked_by = blacklist
        .iter()
        .filter_map(|c| parse_cidr(c).ok())
        .find(|net| net.contains(&ip));
    let reason = match (origin_ok, blocked_by) {
        (true, None) => "origin and IP allowed".to_owned(),
        (false, None) => format!("origin {origin} is not on the domain whitelist"),
        (true, Some(net)) => format!("IP {ip} is blacklisted by {net}"),
        (false, Some(net)) => format!(
            "origin {origin} is not on the domain whitelist and IP {ip} is blacklisted by {net}"
        ),
    };
    AccessDecision {
        origin_allowed: origin_ok,
        ip_allowed: blocked_by.is_none(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_domain_allows_itself_and_its_subdomains_only() {
        let list = vec!["example.com".to_owned()];
        assert!(origin_allowed("example.com", &list));
        assert!(origin_allowed("shop.Example.com.", &list));
        assert!(!origin_allowed("badexample.com", &list));
        assert!(!origin_allowed("example.com.evil.net", &list));
        assert!(origin_allowed("anything.org", &[]));
    }

    #[test]
    fn mapped_ipv6_addresses_and_ranges_are_ipv4() {
        assert_eq!(
            parse_cidr("::ffff:10.1.0.0/112").unwrap().to_string(),
            "10.1.0.0/16"
        );
        assert_eq!(
            parse_cidr("192.168.1.77/24").unwrap().to_string(),
            "192.168.1.0/24"
        );
        assert_eq!(
            parse_cidr("2001:db8::1").unwrap().to_string(),
            "2001:db8::1/128"
        );
        let list = vec!["10.1.0.0/16".to_owned()];
        let d = decide("a.com", "::ffff:10.1.2.3".parse().unwrap(), &[], &list);
        assert!(!d.ip_allowed);
        assert!(parse_cidr("10.0.0.0/33").is_err());
    }
}
