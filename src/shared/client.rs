//! Who is asking: the client a token, a ticket or a call is counted against.

use std::net::{Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Who asked for a ticket: an IPv4 address, or an IPv6 address's /64 (one
/// subscriber usually holds a whole /64), hashed so that neither tickets nor
/// the guard's state hold an address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientKey(pub String);

impl ClientKey {
    pub fn of_ip(ip: Option<&str>) -> Self {
        let ip = ip.map(str::trim).unwrap_or_default();
        let network = if let Ok(v4) = ip.parse::<Ipv4Addr>() {
            v4.to_string()
        } else if let Ok(v6) = ip.parse::<Ipv6Addr>() {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        } else {
            "unknown".to_owned()
        };
        Self(hex::encode(&Sha256::digest(network.as_bytes())[..8]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_are_ipv4_addresses_or_ipv6_slash_64s_hashed() {
        let a = ClientKey::of_ip(Some("2001:db8:1:2:aaaa::1"));
        let b = ClientKey::of_ip(Some("2001:db8:1:2:bbbb::9"));
        let c = ClientKey::of_ip(Some("2001:db8:1:3::1"));
        assert_eq!(a, b, "one /64, one client");
        assert_ne!(a, c);
        assert_ne!(
            ClientKey::of_ip(Some("203.0.113.7")),
            ClientKey::of_ip(Some("203.0.113.8"))
        );
        assert_eq!(a.0.len(), 16);
        assert!(!a.0.contains("2001"), "no address in the key");
    }
}
