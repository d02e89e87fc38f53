//! Network address policy: which destinations count as private, for the optional SSRF deny-list on webhook URLs.
//! Monitoring internal systems is the point of a self-hosted monitor, so checks are never restricted; only
//! notification targets are, and only when the operator turns the deny-list on.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// True for addresses that are not ordinary global unicast: every range of the IANA IPv4 and IPv6
/// special-purpose address registries (loopback, RFC 1918 private, link-local — which includes cloud metadata
/// services at 169.254.169.254 —, carrier-grade NAT, unspecified, broadcast, documentation, benchmarking, IETF
/// protocol assignments, reserved, unique-local, discard-only, ORCHID, ...), multicast, and IPv6 addresses that
/// carry an IPv4 address (mapped, translated, IPv4-compatible, NAT64, 6to4), judged by the IPv4 address they carry
/// or refused outright where the form itself is obsolete.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_private_v4(v4),
        IpAddr::V6(v6) => is_private_v6(v6),
    }
}

/// IPv4 ranges that are not global unicast, as (network, prefix length).
const V4_SPECIAL: [([u8; 4], u8); 19] = [
    ([0, 0, 0, 0], 8),       // "this network"
    ([10, 0, 0, 0], 8),      // private
    ([100, 64, 0, 0], 10),   // carrier-grade NAT
    ([127, 0, 0, 0], 8),     // loopback
    ([169, 254, 0, 0], 16),  // link-local (cloud metadata)
    ([172, 16, 0, 0], 12),   // private
    ([192, 0, 0, 0], 24),    // IETF protocol assignments
    ([192, 0, 2, 0], 24),    // documentation (TEST-NET-1)
    ([192, 31, 196, 0], 24), // AS112-v4
    ([192, 52, 193, 0], 24), // AMT
    ([192, 88, 99, 0], 24),  // deprecated 6to4 relay anycast
    ([192, 168, 0, 0], 16),  // private
    ([192, 175, 48, 0], 24), // direct delegation AS112
    ([198, 18, 0, 0], 15),   // benchmarking
    ([198, 51, 100, 0], 24), // documentation (TEST-NET-2)
    ([203, 0, 113, 0], 24),  // documentation (TEST-NET-3)
    ([224, 0, 0, 0], 4),     // multicast
    ([240, 0, 0, 0], 4),     // reserved, and 255.255.255.255 broadcast
    ([255, 255, 255, 255], 32),
];

/// IPv6 ranges that are not global unicast (besides the IPv4-carrying forms handled on their own).
const V6_SPECIAL: [(u128, u8); 11] = [
    (0, 96), // ::/96: unspecified, loopback, IPv4-compatible (deprecated)
    (0x0000_0000_0000_0000_ffff_0000_0000_0000, 96), // ::ffff:0:0:0/96 IPv4-translated (SIIT)
    (0x0064_ff9b_0001_0000_0000_0000_0000_0000, 48), // 64:ff9b:1::/48 local-use IPv4/IPv6 translation
    (0x0100_0000_0000_0000_0000_0000_0000_0000, 64), // 100::/64 discard-only
    (0x2001_0000_0000_0000_0000_0000_0000_0000, 23), // 2001::/23 IETF protocol assignments (Teredo, ORCHID, ...)
    (0x2001_0db8_0000_0000_0000_0000_0000_0000, 32), // 2001:db8::/32 documentation
    (0x3fff_0000_0000_0000_0000_0000_0000_0000, 20), // 3fff::/20 documentation
    (0x5f00_0000_0000_0000_0000_0000_0000_0000, 16), // 5f00::/16 segment routing SIDs
    (0xfc00_0000_0000_0000_0000_0000_0000_0000, 7),  // fc00::/7 unique local
    (0xfe80_0000_0000_0000_0000_0000_0000_0000, 9), // fe80::/10 link-local and fec0::/10 site-local (deprecated)
    (0xff00_0000_0000_0000_0000_0000_0000_0000, 8), // ff00::/8 multicast
];

fn is_private_v4(ip: Ipv4Addr) -> bool {
    let addr = u32::from(ip);
    V4_SPECIAL.iter().any(|(net, len)| {
        let mask = u32::MAX.checked_shl(32 - u32::from(*len)).unwrap_or(0);
        addr & mask == u32::from_be_bytes(*net) & mask
    })
}

fn is_private_v6(ip: Ipv6Addr) -> bool {
    let addr = u128::from(ip);
    let seg = ip.segments();
    // IPv4-mapped, 64:ff9b::/96 NAT64 and 2002::/16 6to4 carry an IPv4 address that decides.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_private_v4(v4);
    }
    if seg[0] == 0x64 && seg[1] == 0xff9b && seg[2..6].iter().all(|s| *s == 0) {
        return is_private_v4(Ipv4Addr::from(addr as u32));
    }
    if seg[0] == 0x2002 {
        return is_private_v4(Ipv4Addr::from(
            ((u32::from(seg[1])) << 16) | u32::from(seg[2]),
        ));
    }
    V6_SPECIAL.iter().any(|(net, len)| {
        let mask = u128::MAX.checked_shl(128 - u32::from(*len)).unwrap_or(0);
        addr & mask == net & mask
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("an IP address")
    }

    #[test]
    fn private_and_special_ranges_are_private() {
        for s in [
            "127.0.0.1",
            "127.8.9.10",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "0.0.0.0",
            "0.1.2.3",
            "255.255.255.255",
            "198.18.0.1",
            "192.0.0.8",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
            "::ffff:127.0.0.1",
            "64:ff9b::a00:1",
            // Forms that carry a private IPv4 address, and multicast (found accepted before).
            "::127.0.0.1",
            "2002:7f00:1::",
            "::ffff:0:127.0.0.1",
            "224.0.0.1",
            "239.255.255.250",
            "ff02::1",
            // Documentation, special-purpose and reserved ranges from the IANA registries.
            "192.0.2.10",
            "198.51.100.7",
            "203.0.113.99",
            "192.88.99.1",
            "100::1",
            "2001::1",
            "2001:2::1",
            "2001:db8::1",
            "3fff::1",
            "fec0::1",
            "64:ff9b:1::1",
        ] {
            assert!(is_private(ip(s)), "{s} should be private");
        }
    }

    #[test]
    fn public_addresses_are_not_private() {
        for s in [
            "1.1.1.1",
            "8.8.8.8",
            "172.32.0.1",
            "172.15.255.255",
            "100.128.0.1",
            "192.169.0.1",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
            "2001:4860:4860::8888",
            "223.255.255.255",
            "9.9.9.9",
        ] {
            assert!(!is_private(ip(s)), "{s} should be public");
        }
    }
}
