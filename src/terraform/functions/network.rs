//! IP network functions: `cidrsubnet`, `cidrsubnets`, `cidrhost`, `cidrnetmask`, for IPv4 and IPv6.

use super::{integer, string_node, text};
use crate::model::{Node, Value};
use crate::span::Span;
use crate::terraform::eval::Fail;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// `Ok(None)`: not one of these functions.
pub(super) fn apply(name: &str, span: Span, args: &[Node]) -> Result<Option<Node>, Fail> {
    let out = |v: String| string_node(span, v).map(Some);
    match (name, args.len()) {
        ("cidrsubnet", 3) => {
            let net = Net::parse(&text(args.first())?)?;
            let (newbits, netnum) = (integer(args.get(1), false)?, integer(args.get(2), false)?);
            out(net.subnet(newbits as u32, netnum as u128)?.to_string())
        }
        ("cidrsubnets", n) if n >= 1 => {
            let net = Net::parse(&text(args.first())?)?;
            let newbits: Vec<u32> = args
                .iter()
                .skip(1)
                .map(|a| integer(Some(a), false).map(|n| n as u32))
                .collect::<Result<_, _>>()?;
            let nets = net.subnets(&newbits)?;
            let items = nets.into_iter().map(|n| Node::new(span, Value::Str(n.to_string()))).collect();
            Ok(Some(Node::new(span, Value::List(items))))
        }
        ("cidrhost", 2) => {
            let net = Net::parse(&text(args.first())?)?;
            out(net.host(integer(args.get(1), true)? as i128)?)
        }
        ("cidrnetmask", 1) => {
            let net = Net::parse(&text(args.first())?)?;
            if net.bits != 32 {
                return Err(Fail::Error);
            }
            out(Ipv4Addr::from(mask(net.len, 32) as u32).to_string())
        }
        _ => Ok(None),
    }
}

/// A network as numbers: its first address, prefix length, and address width (32 or 128).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Net {
    base: u128,
    len: u32,
    bits: u32,
}

impl Net {
    /// `10.1.2.3/8` is read as the network `10.0.0.0/8`, as Terraform does.
    fn parse(s: &str) -> Result<Net, Fail> {
        let net: ipnet::IpNet = s.trim().parse().map_err(|_| Fail::Error)?;
        let (addr, bits) = match net.network() {
            IpAddr::V4(a) => (u128::from(u32::from(a)), 32),
            IpAddr::V6(a) => (u128::from(a), 128),
        };
        Ok(Net { base: addr, len: u32::from(net.prefix_len()), bits })
    }

    /// How many addresses a network of this prefix length holds (`None`: 2¹²⁸).
    fn size(len: u32, bits: u32) -> Option<u128> {
        1u128.checked_shl(bits.checked_sub(len)?)
    }

    fn subnet(self, newbits: u32, netnum: u128) -> Result<Net, Fail> {
        let len = self.len.checked_add(newbits).filter(|l| *l <= self.bits).ok_or(Fail::Error)?;
        if newbits < 128 && netnum >= (1u128 << newbits) {
            return Err(Fail::Error);
        }
        let shifted = netnum.checked_shl(self.bits - len).unwrap_or(0);
        Ok(Net { base: self.base | shifted, len, bits: self.bits })
    }

    fn host(self, hostnum: i128) -> Result<String, Fail> {
        let host_bits = self.bits - self.len;
        if host_bits >= 127 {
            return Err(Fail::Unknown);
        }
        let size = 1i128 << host_bits;
        let host = if hostnum < 0 { size + hostnum } else { hostnum };
        if host < 0 || host >= size {
            return Err(Fail::Error);
        }
        Ok(Net { base: self.base + host as u128, ..self }.address())
    }

    /// Terraform's `cidrsubnets`: consecutive subnets, each aligned to its own size.
    fn subnets(self, newbits: &[u32]) -> Result<Vec<Net>, Fail> {
        let Some(&first) = newbits.first() else { return Ok(Vec::new()) };
        let first_len = self.len.checked_add(first).filter(|l| *l <= self.bits).ok_or(Fail::Error)?;
        // The subnet just before the first one, as a starting point.
        let before = self.base.wrapping_sub(1) & mask(first_len, self.bits);
        let mut current = Net { base: before, len: first_len, bits: self.bits };
        let end = self.base + Net::size(self.len, self.bits).ok_or(Fail::Unknown)?;
        let mut out = Vec::with_capacity(newbits.len());
        for &nb in newbits {
            let len = self.len.checked_add(nb).filter(|l| *l <= self.bits).ok_or(Fail::Error)?;
            let last = current.base + (Net::size(current.len, self.bits).ok_or(Fail::Unknown)? - 1);
            let start = last & mask(len, self.bits);
            let next =
                start.checked_add(Net::size(len, self.bits).ok_or(Fail::Unknown)?).ok_or(Fail::Error)?;
            if next < self.base || next >= end {
                return Err(Fail::Error);
            }
            current = Net { base: next, len, bits: self.bits };
            out.push(current);
        }
        Ok(out)
    }

    fn address(self) -> String {
        if self.bits == 32 {
            Ipv4Addr::from(self.base as u32).to_string()
        } else {
            Ipv6Addr::from(self.base).to_string()
        }
    }
}

impl std::fmt::Display for Net {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.address(), self.len)
    }
}

fn mask(len: u32, bits: u32) -> u128 {
    let all = if bits == 128 { u128::MAX } else { (1u128 << bits) - 1 };
    all & !all.checked_shr(len).unwrap_or(0)
}
