//! Many targets, lazily: target specifications (host names, IPv4/IPv6 addresses, CIDR blocks,
//! address ranges), port lists, target files (one spec per line, nmap `-oX` / masscan `-oX`,
//! `-oJ`, `-oL` output) and deterministic sharding. Sans-IO except for reading the caller's
//! [`BufRead`].
//!
//! Nothing here materialises an address block: a `/8` (or an IPv6 `/64`) is walked by an
//! iterator holding two integers.
//!
//! ```
//! use rdp_probe::scan::targets::{expand, parse_ports, TargetSpec};
//! let specs = ["10.0.0.0/30", "10.0.1.1-3", "host.example:3390"].map(TargetSpec::parse);
//! let ports = parse_ports("3389,3390").unwrap();
//! let all: Vec<_> = expand(specs, ports).map(|t| t.unwrap().to_string()).collect();
//! assert_eq!(all.len(), 4 * 2 + 3 * 2 + 1);
//! assert_eq!(all[0], "10.0.0.0:3389");
//! assert_eq!(all[1], "10.0.0.0:3390");
//! ```

use crate::scan::target::{Target, TargetError};
use std::collections::VecDeque;
use std::io::BufRead;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

/// Parses a port list: `3389`, `3389,3390-3399`. Duplicates are dropped, order is kept.
/// A bad element is [`TargetError::BadPortRange`], a list without a port [`TargetError::NoPort`].
pub fn parse_ports(s: &str) -> Result<Vec<u16>, TargetError> {
    let mut out: Vec<u16> = Vec::new();
    let mut seen = vec![false; 65536];
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let bad = || TargetError::BadPortRange(part.to_string());
        let (a, b) = match part.split_once('-') {
            Some((a, b)) => (a.trim().parse::<u16>().map_err(|_| bad())?, b.trim().parse::<u16>().map_err(|_| bad())?),
            None => {
                let p = part.parse::<u16>().map_err(|_| bad())?;
                (p, p)
            }
        };
        if a == 0 || b < a {
            return Err(bad());
        }
        for p in a..=b {
            if let Some(s) = seen.get_mut(usize::from(p)) {
                if !*s {
                    *s = true;
                    out.push(p);
                }
            }
        }
    }
    if out.is_empty() {
        return Err(TargetError::NoPort);
    }
    Ok(out)
}

/// What one argument or input line names.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TargetSpec {
    /// One host name or address; `port` when the spec names one (it then overrides the port list).
    Host {
        /// Host name or address literal (IPv6 without brackets).
        host: String,
        /// The port the spec names.
        port: Option<u16>,
        /// The text as given.
        original: String,
    },
    /// An inclusive range of addresses of one family: a CIDR block (every address, network and
    /// broadcast included, as nmap does) or `first-last`.
    Range {
        /// First address.
        first: IpAddr,
        /// Last address (same family, `>= first`).
        last: IpAddr,
        /// The port the spec names.
        port: Option<u16>,
    },
}

fn ip_to_u128(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    }
}

fn u128_to_ip(v: u128, v6: bool) -> IpAddr {
    if v6 {
        IpAddr::V6(Ipv6Addr::from(v))
    } else {
        IpAddr::V4(Ipv4Addr::from(u32::try_from(v).unwrap_or(u32::MAX)))
    }
}

impl TargetSpec {
    /// Parses one spec: `host`, `host:port`, `[v6]:port`, bare IPv6, `10.0.0.0/24`,
    /// `10.0.0.1-10.0.0.50`, `10.0.0.1-50` (last octet), `2001:db8::/120`, `[2001:db8::/120]:3390`,
    /// `10.0.0.0/24:3390`.
    pub fn parse(s: &str) -> Result<TargetSpec, TargetError> {
        let t = s.trim();
        if t.is_empty() {
            return Err(TargetError::Empty);
        }
        let syntax = || TargetError::Syntax(s.to_string());
        let port_of = |p: &str| match p.parse::<u16>() {
            Ok(n) if n != 0 => Ok(n),
            _ => Err(TargetError::BadPort(s.to_string())),
        };
        // Split off an explicit port: `[inner]:port`, or `a.b.c.d/n:port` / `a-b:port` (IPv4).
        let bracketed = t.starts_with('[');
        let (inner, port) = if let Some(rest) = t.strip_prefix('[') {
            let (h, after) = rest.split_once(']').ok_or_else(syntax)?;
            match after {
                "" => (h, None),
                a => (h, Some(port_of(a.strip_prefix(':').ok_or_else(syntax)?)?)),
            }
        } else if (t.contains('/') || t.contains('-')) && t.matches(':').count() == 1 {
            let (h, p) = t.rsplit_once(':').ok_or_else(syntax)?;
            (h, Some(port_of(p)?))
        } else {
            (t, None)
        };
        if let Some((addr, len)) = inner.split_once('/') {
            let net: ipnet::IpNet = format!("{addr}/{len}").parse().map_err(|_| syntax())?;
            return Ok(TargetSpec::Range { first: net.network(), last: net.broadcast(), port });
        }
        if let Some((a, b)) = inner.split_once('-') {
            if let Ok(first) = a.trim().parse::<IpAddr>() {
                let b = b.trim();
                let last = match (first, b.parse::<IpAddr>(), b.parse::<u8>()) {
                    (_, Ok(l), _) => l,
                    (IpAddr::V4(f), _, Ok(o)) => {
                        let [x, y, z, _] = f.octets();
                        IpAddr::V4(Ipv4Addr::new(x, y, z, o))
                    }
                    _ => return Err(syntax()),
                };
                if first.is_ipv4() != last.is_ipv4() || ip_to_u128(last) < ip_to_u128(first) {
                    return Err(syntax());
                }
                return Ok(TargetSpec::Range { first, last, port });
            }
        }
        if let Ok(ip) = inner.parse::<IpAddr>() {
            return Ok(TargetSpec::Host { host: ip.to_string(), port, original: t.to_string() });
        }
        if bracketed {
            return Err(syntax()); // brackets around a name
        }
        // A host name (or host:port): the single-target parser, port 0 meaning "none given".
        let one = Target::parse(t, 0)?;
        Ok(TargetSpec::Host { host: one.host, port: (one.port != 0).then_some(one.port), original: t.to_string() })
    }

    /// How many targets this spec gives with `ports` ports (a spec naming its port gives one per
    /// address).
    pub fn count(&self, ports: usize) -> u128 {
        let per = |p: &Option<u16>| if p.is_some() { 1 } else { ports as u128 };
        match self {
            TargetSpec::Host { port, .. } => per(port),
            TargetSpec::Range { first, last, port } => {
                (ip_to_u128(*last) - ip_to_u128(*first)).saturating_add(1).saturating_mul(per(port))
            }
        }
    }

    /// The targets of this spec, lazily: for each address, each port.
    pub fn targets(&self, ports: Arc<[u16]>) -> SpecTargets {
        let (cur, last, v6) = match self {
            TargetSpec::Host { .. } => (0, 0, false),
            TargetSpec::Range { first, last, .. } => (ip_to_u128(*first), ip_to_u128(*last), first.is_ipv6()),
        };
        SpecTargets { spec: self.clone(), ports, cur, last, v6, port_idx: 0, done: false }
    }
}

/// Iterator over the targets of one [`TargetSpec`] (see [`TargetSpec::targets`]).
#[derive(Debug, Clone)]
pub struct SpecTargets {
    spec: TargetSpec,
    ports: Arc<[u16]>,
    cur: u128,
    last: u128,
    v6: bool,
    port_idx: usize,
    done: bool,
}

impl SpecTargets {
    fn ports_per_address(&self) -> usize {
        match &self.spec {
            TargetSpec::Host { port: Some(_), .. } | TargetSpec::Range { port: Some(_), .. } => 1,
            _ => self.ports.len(),
        }
    }
}

impl Iterator for SpecTargets {
    type Item = Target;

    /// Skips in O(1): a shard or a resumed scan can jump into a /8.
    fn nth(&mut self, n: usize) -> Option<Target> {
        let per = self.ports_per_address() as u128;
        if self.done || per == 0 {
            self.done = true;
            return None;
        }
        let pos = self.port_idx as u128 + n as u128;
        let (addr_skip, port_idx) = (pos / per, pos % per);
        if self.last - self.cur < addr_skip {
            self.done = true;
            return None;
        }
        self.cur += addr_skip;
        self.port_idx = usize::try_from(port_idx).unwrap_or(0);
        self.next()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.done {
            return (0, Some(0));
        }
        let left = (self.last - self.cur).saturating_add(1).saturating_mul(self.ports_per_address() as u128)
            - self.port_idx as u128;
        match usize::try_from(left) {
            Ok(n) => (n, Some(n)),
            Err(_) => (usize::MAX, None),
        }
    }
    fn next(&mut self) -> Option<Target> {
        if self.done {
            return None;
        }
        let fixed = match &self.spec {
            TargetSpec::Host { port, .. } | TargetSpec::Range { port, .. } => *port,
        };
        let n_ports = if fixed.is_some() { 1 } else { self.ports.len() };
        let port = match fixed {
            Some(p) => p,
            None => match self.ports.get(self.port_idx) {
                Some(&p) => p,
                None => {
                    self.done = true;
                    return None;
                }
            },
        };
        let t = match &self.spec {
            TargetSpec::Host { host, original, .. } => {
                let original = if fixed.is_some() || n_ports == 1 {
                    original.clone()
                } else if host.contains(':') {
                    format!("[{host}]:{port}")
                } else {
                    format!("{host}:{port}")
                };
                Target { host: host.clone(), port, original }
            }
            TargetSpec::Range { .. } => Target::from_addr(u128_to_ip(self.cur, self.v6), port),
        };
        self.port_idx += 1;
        if self.port_idx >= n_ports {
            self.port_idx = 0;
            if self.cur >= self.last {
                self.done = true;
            } else {
                self.cur += 1;
            }
        }
        Some(t)
    }
}

/// Expands specs into targets, lazily, in input order: spec by spec, address by address, port
/// by port. Errors of the spec source pass through in place.
pub fn expand<I, E>(specs: I, ports: Vec<u16>) -> impl Iterator<Item = Result<Target, E>>
where
    I: IntoIterator<Item = Result<TargetSpec, E>>,
{
    let ports: Arc<[u16]> = ports.into();
    specs.into_iter().flat_map(move |s| {
        let (targets, error) = match s {
            Ok(spec) => (Some(spec.targets(ports.clone())), None),
            Err(e) => (None, Some(Err(e))),
        };
        targets.into_iter().flatten().map(Ok).chain(error)
    })
}

/// A shard of a target list: `K/N` keeps the targets whose 0-based position `i` in the expanded
/// sequence has `i % N == K - 1` (the zmap/masscan convention: N machines, one list, no overlap,
/// no gap).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 0-based shard index (`K - 1`).
    pub index: u64,
    /// Number of shards, `>= 1`.
    pub count: u64,
}

impl Shard {
    /// Parses `K/N` with `1 <= K <= N`.
    pub fn parse(s: &str) -> Result<Shard, TargetError> {
        let bad = || TargetError::Syntax(format!("shard {s:?}: expected K/N with 1 <= K <= N"));
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (k, n): (u64, u64) = (k.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if k == 0 || n == 0 || k > n {
            return Err(bad());
        }
        Ok(Shard { index: k - 1, count: n })
    }
    /// Whether the target at 0-based position `i` belongs to this shard.
    pub fn keeps(&self, i: u64) -> bool {
        i % self.count.max(1) == self.index
    }
}

/// A target input file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InputFormat {
    /// One or more specs per line (separated by spaces or commas); `#` starts a comment.
    List,
    /// nmap `-oX` or masscan `-oX`: hosts with open TCP ports (hosts without a port list but
    /// with status up are taken with the port list).
    Xml,
    /// masscan `-oJ` (JSON array, one object per line) or `-oD` (NDJSON).
    MasscanJson,
    /// masscan `-oL`: `open tcp PORT ADDR TIMESTAMP`.
    MasscanList,
}

impl InputFormat {
    /// Guesses the format from the first non-blank line.
    pub fn detect(first_line: &str) -> InputFormat {
        let l = first_line.trim_start();
        if l.starts_with('<') {
            InputFormat::Xml
        } else if l.starts_with('{') || l.starts_with('[') {
            InputFormat::MasscanJson
        } else if l.starts_with("#masscan") || l.starts_with("open tcp ") {
            InputFormat::MasscanList
        } else {
            InputFormat::List
        }
    }
}

/// A bad line in a target input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {error}")]
pub struct InputError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong (also the error's `source()`).
    #[source]
    pub error: TargetError,
}

/// Reads target specs from a file or stdin, line by line (a masscan file of millions of lines is
/// never held in memory). The format is detected from the first non-blank line.
pub struct InputReader<R> {
    reader: R,
    format: Option<InputFormat>,
    line_no: usize,
    pending: VecDeque<Result<TargetSpec, InputError>>,
    xml: XmlState,
    eof: bool,
}

#[derive(Default)]
struct XmlState {
    buf: String,
    addr: Option<String>,
    port: Option<u16>,
    host_ports: usize,
    up: bool,
}

impl<R: BufRead> InputReader<R> {
    /// A reader detecting the format.
    pub fn new(reader: R) -> Self {
        InputReader { reader, format: None, line_no: 0, pending: VecDeque::new(), xml: XmlState::default(), eof: false }
    }
    /// A reader of a known format.
    pub fn with_format(reader: R, format: InputFormat) -> Self {
        InputReader { format: Some(format), ..InputReader::new(reader) }
    }

    fn push(&mut self, r: Result<TargetSpec, TargetError>) {
        let line = self.line_no;
        self.pending.push_back(r.map_err(|error| InputError { line, error }));
    }

    fn host_port(&mut self, addr: &str, port: Option<u16>) {
        let spec = match addr.parse::<IpAddr>() {
            Ok(ip) => Ok(TargetSpec::Host {
                host: ip.to_string(),
                port,
                original: port.map_or_else(|| ip.to_string(), |p| Target::from_addr(ip, p).original),
            }),
            Err(_) => TargetSpec::parse(addr).map(|s| match s {
                TargetSpec::Host { host, original, .. } => TargetSpec::Host { host, port, original },
                other => other,
            }),
        };
        self.push(spec);
    }

    fn line(&mut self, line: &str) {
        let format = *self.format.get_or_insert_with(|| InputFormat::detect(line));
        match format {
            InputFormat::List => {
                let content = line.split('#').next().unwrap_or_default();
                for word in content.split(|c: char| c.is_whitespace() || c == ',').filter(|w| !w.is_empty()) {
                    let spec = TargetSpec::parse(word);
                    self.push(spec);
                }
            }
            InputFormat::MasscanList => {
                let f: Vec<&str> = line.split_whitespace().collect();
                if let ["open", "tcp", port, addr, ..] = f.as_slice() {
                    match port.parse::<u16>() {
                        Ok(p) if p != 0 => self.host_port(addr, Some(p)),
                        _ => self.push(Err(TargetError::BadPort((*port).to_string()))),
                    }
                }
            }
            #[cfg(not(feature = "serde"))]
            InputFormat::MasscanJson => {
                if line.trim().starts_with('{') {
                    self.push(Err(TargetError::Syntax("masscan JSON input needs the `serde` feature".into())));
                }
            }
            #[cfg(feature = "serde")]
            InputFormat::MasscanJson => {
                let l = line.trim().trim_end_matches(',');
                if !l.starts_with('{') {
                    return;
                }
                let Ok(v) = serde_json::from_str::<serde_json::Value>(l) else {
                    self.push(Err(TargetError::Syntax(l.chars().take(80).collect())));
                    return;
                };
                let Some(ip) = v.get("ip").and_then(|x| x.as_str()).map(str::to_string) else { return };
                let ports = v.get("ports").and_then(|p| p.as_array()).cloned().unwrap_or_default();
                for p in ports {
                    let tcp = p.get("proto").and_then(|x| x.as_str()).is_none_or(|x| x == "tcp");
                    let open = p.get("status").and_then(|x| x.as_str()).is_none_or(|x| x == "open");
                    let port = p.get("port").and_then(|x| x.as_u64()).and_then(|x| u16::try_from(x).ok());
                    if let (true, true, Some(port)) = (tcp, open, port) {
                        self.host_port(&ip, Some(port));
                    }
                }
            }
            InputFormat::Xml => {
                self.xml.buf.push_str(line);
                self.xml.buf.push(' ');
                self.xml_tags();
            }
        }
    }

    /// Consumes the complete tags in the XML buffer.
    fn xml_tags(&mut self) {
        loop {
            let buf = &self.xml.buf;
            let Some(start) = buf.find('<') else {
                self.xml.buf.clear();
                return;
            };
            let Some(len) = buf.get(start..).and_then(|r| r.find('>')) else {
                let rest = buf.get(start..).unwrap_or_default().to_string();
                self.xml.buf = rest;
                return;
            };
            let tag = buf.get(start + 1..start + len).unwrap_or_default().to_string();
            let rest = buf.get(start + len + 1..).unwrap_or_default().to_string();
            self.xml.buf = rest;
            self.xml_tag(&tag);
        }
    }

    fn xml_tag(&mut self, tag: &str) {
        let close = tag.starts_with('/');
        let body = tag.trim_start_matches('/');
        let name: String = body.chars().take_while(|c| !c.is_whitespace() && *c != '/').collect();
        let name = if close { format!("/{name}") } else { name };
        let attr = |key: &str| -> Option<String> {
            let pat = format!(" {key}=\"");
            let i = tag.find(&pat)? + pat.len();
            let rest = tag.get(i..)?;
            Some(rest.get(..rest.find('"')?)?.to_string())
        };
        match name.as_str() {
            "host" => self.xml = XmlState { buf: std::mem::take(&mut self.xml.buf), ..XmlState::default() },
            "status" => self.xml.up = attr("state").as_deref() == Some("up"),
            "address" => {
                if matches!(attr("addrtype").as_deref(), Some("ipv4") | Some("ipv6")) {
                    self.xml.addr = attr("addr");
                }
            }
            "port" => {
                self.xml.host_ports += 1;
                self.xml.port = if attr("protocol").as_deref() == Some("tcp") {
                    attr("portid").and_then(|p| p.parse().ok())
                } else {
                    None
                };
            }
            "state" => {
                if let (Some(port), Some(addr), Some("open")) =
                    (self.xml.port.take(), self.xml.addr.clone(), attr("state").as_deref())
                {
                    self.host_port(&addr, Some(port));
                }
            }
            "/host" => {
                if let (0, true, Some(addr)) = (self.xml.host_ports, self.xml.up, self.xml.addr.take()) {
                    self.host_port(&addr, None);
                }
                self.xml.host_ports = 0;
                self.xml.up = false;
            }
            _ => {}
        }
    }
}

impl<R: BufRead> Iterator for InputReader<R> {
    type Item = Result<TargetSpec, InputError>;
    fn next(&mut self) -> Option<Self::Item> {
        let mut line = String::new();
        loop {
            if let Some(x) = self.pending.pop_front() {
                return Some(x);
            }
            if self.eof {
                return None;
            }
            line.clear();
            self.line_no += 1;
            match self.reader.read_line(&mut line) {
                Ok(0) => self.eof = true,
                Ok(_) if line.trim().is_empty() => {}
                Ok(_) => {
                    let l = std::mem::take(&mut line);
                    self.line(l.trim_end_matches(['\r', '\n']));
                }
                Err(e) => {
                    self.eof = true;
                    let line_no = self.line_no;
                    return Some(Err(InputError {
                        line: line_no,
                        error: TargetError::Syntax(format!("read error: {e}")),
                    }));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(specs: &[&str], ports: &str) -> Vec<String> {
        let specs = specs.iter().map(|s| TargetSpec::parse(s));
        expand(specs, parse_ports(ports).unwrap()).map(|t| t.unwrap().to_string()).collect()
    }

    #[test]
    fn ports() {
        assert_eq!(parse_ports("3389").unwrap(), [3389]);
        assert_eq!(parse_ports("3389,3390-3392,3389").unwrap(), [3389, 3390, 3391, 3392]);
        assert!(parse_ports("0").is_err());
        assert!(parse_ports("5-3").is_err());
        assert!(parse_ports("x").is_err());
        assert_eq!(parse_ports(""), Err(TargetError::NoPort));
        assert_eq!(parse_ports(" , ").unwrap_err().to_string(), "no port given");
        assert_eq!(parse_ports("3389,x").unwrap_err().to_string(), "invalid port or range: x");
        assert_eq!(parse_ports("3389, 0-2").unwrap_err(), TargetError::BadPortRange("0-2".into()));
        assert_eq!(parse_ports("3390 - 3391").unwrap(), [3390, 3391]);
        assert_eq!(parse_ports("1-65535").unwrap().len(), 65535);
    }

    #[test]
    fn specs() {
        assert_eq!(all(&["10.0.0.254/31"], "1"), ["10.0.0.254:1", "10.0.0.255:1"]);
        assert_eq!(all(&["10.0.0.1-3"], "1"), ["10.0.0.1:1", "10.0.0.2:1", "10.0.0.3:1"]);
        assert_eq!(all(&["10.0.0.255-10.0.1.0"], "1"), ["10.0.0.255:1", "10.0.1.0:1"]);
        assert_eq!(all(&["10.0.0.1-2:7"], "1,2"), ["10.0.0.1:7", "10.0.0.2:7"]);
        assert_eq!(all(&["10.0.0.0/31:7"], "1"), ["10.0.0.0:7", "10.0.0.1:7"]);
        assert_eq!(all(&["[::1/127]:7"], "1"), ["[::]:7", "[::1]:7"]);
        assert_eq!(all(&["::1-::2"], "1"), ["[::1]:1", "[::2]:1"]);
        assert_eq!(all(&["host"], "1"), ["host"]);
        assert_eq!(all(&["host"], "1,2"), ["host:1", "host:2"]);
        assert_eq!(all(&["my-host:5"], "1,2"), ["my-host:5"]);
        assert_eq!(all(&["::1"], "1,2"), ["[::1]:1", "[::1]:2"]);
        assert_eq!(all(&["255.255.255.255/32"], "1"), ["255.255.255.255:1"]);
        assert_eq!(all(&["[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128]"], "1").len(), 1);
        for bad in ["10.0.0.5-3", "10.0.0.1-::1", "10.0.0.0/33", "10.0.0.1-x", "", "[::1", "h:0", "[h]:1"] {
            assert!(TargetSpec::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn lazy_slash_8_and_v6_64() {
        let s = TargetSpec::parse("10.0.0.0/8").unwrap();
        assert_eq!(s.count(2), 2 * (1 << 24));
        let mut it = s.targets(vec![3389, 3390].into());
        assert_eq!(it.nth(2 * 256).unwrap().to_string(), "10.0.1.0:3389");
        assert_eq!(it.next().unwrap().to_string(), "10.0.1.0:3390");
        assert_eq!(it.next().unwrap().to_string(), "10.0.1.1:3389");
        assert_eq!(it.size_hint().0, 2 * (1 << 24) - 2 * 257 - 1);
        assert_eq!(it.nth(2 * (1 << 24) - 2 * 257 - 2).unwrap().to_string(), "10.255.255.255:3390");
        assert!(it.next().is_none());
        let mut small = TargetSpec::parse("10.0.0.0/31").unwrap().targets(vec![1].into());
        assert!(small.nth(2).is_none());
        assert!(small.next().is_none());
        assert!(std::mem::size_of_val(&it) < 256);
        let s = TargetSpec::parse("2001:db8::/64").unwrap();
        assert_eq!(s.count(1), 1u128 << 64);
        assert_eq!(s.targets(vec![1].into()).nth(1).unwrap().host, "2001:db8::1");
    }

    #[test]
    fn shard_partitions() {
        let specs = || ["10.0.0.0/28", "10.0.1.0/29"].map(TargetSpec::parse);
        let full: Vec<String> = expand(specs(), vec![1, 2]).map(|t| t.unwrap().to_string()).collect();
        let mut union = Vec::new();
        for k in 1..=3 {
            let sh = Shard::parse(&format!("{k}/3")).unwrap();
            let part: Vec<String> = expand(specs(), vec![1, 2])
                .enumerate()
                .filter(|(i, _)| sh.keeps(*i as u64))
                .map(|(_, t)| t.unwrap().to_string())
                .collect();
            union.extend(part);
        }
        union.sort();
        let mut f = full.clone();
        f.sort();
        assert_eq!(union, f);
        assert!(Shard::parse("0/3").is_err());
        assert!(Shard::parse("4/3").is_err());
        assert!(Shard::parse("1/0").is_err());
    }

    fn read(text: &str) -> Vec<String> {
        let specs = InputReader::new(text.as_bytes());
        expand(specs, vec![3389]).map(|t| t.map(|t| t.to_string()).unwrap_or_else(|e| format!("ERR {e}"))).collect()
    }

    #[test]
    fn list_file() {
        let got = read("# hosts\n10.0.0.1, 10.0.0.2:3390\n\n  h1 [::1]:5 # comment\n10.0.0.0/31\nbad:0\n");
        assert_eq!(
            got,
            [
                "10.0.0.1",
                "10.0.0.2:3390",
                "h1",
                "[::1]:5",
                "10.0.0.0:3389",
                "10.0.0.1:3389",
                "ERR line 6: invalid port in \"bad:0\""
            ]
        );
    }

    #[test]
    fn nmap_xml() {
        let x = r#"<?xml version="1.0" encoding="UTF-8"?>
<nmaprun scanner="nmap" args="nmap -p 3389,3390 -oX - 10.0.0.0/30">
<host starttime="1" endtime="2"><status state="up" reason="syn-ack" reason_ttl="0"/>
<address addr="10.0.0.1" addrtype="ipv4"/>
<address addr="00:11:22:33:44:55" addrtype="mac"/>
<hostnames>
</hostnames>
<ports><port protocol="tcp" portid="3389"><state state="open" reason="syn-ack" reason_ttl="0"/><service name="ms-wbt-server" method="table" conf="3"/></port>
<port protocol="tcp" portid="3390"><state state="closed" reason="reset" reason_ttl="0"/></port>
<port protocol="udp" portid="3389"><state state="open" reason="x" reason_ttl="0"/></port>
</ports>
</host>
<host><status state="up" reason="echo-reply"/><address addr="10.0.0.2" addrtype="ipv4"/></host>
<host><status state="down" reason="no-response"/><address addr="10.0.0.3" addrtype="ipv4"/></host>
<host><status state="up"/><address addr="::1" addrtype="ipv6"/><ports><port protocol="tcp"
 portid="3391"><state state="open"/></port></ports></host>
</nmaprun>
"#;
        assert_eq!(read(x), ["10.0.0.1:3389", "10.0.0.2", "[::1]:3391"]);
    }

    #[test]
    fn masscan_formats() {
        let xml = r#"<?xml version="1.0"?>
<!-- masscan v1.3 scan -->
<nmaprun scanner="masscan" start="1" version="1.0-BETA"  xmloutputversion="1.03">
<scaninfo type="syn" protocol="tcp" />
<host endtime="1"><address addr="10.1.0.5" addrtype="ipv4"/><ports><port protocol="tcp" portid="3389"><state state="open" reason="syn-ack" reason_ttl="64"/></port></ports></host>
<runstats><finished time="1" timestr="x" elapsed="1" /><hosts up="1" down="0" total="1" /></runstats>
</nmaprun>
"#;
        assert_eq!(read(xml), ["10.1.0.5:3389"]);
        let json = "[\n{   \"ip\": \"10.1.0.5\",   \"timestamp\": \"1\", \"ports\": [ {\"port\": 3389, \"proto\": \"tcp\", \"status\": \"open\", \"reason\": \"syn-ack\", \"ttl\": 64} ] },\n{   \"ip\": \"10.1.0.6\",   \"timestamp\": \"1\", \"ports\": [ {\"port\": 3390, \"proto\": \"tcp\", \"status\": \"open\"} ] }\n]\n";
        // Without serde, masscan JSON is refused line by line, never misread.
        #[cfg(feature = "serde")]
        assert_eq!(read(json), ["10.1.0.5:3389", "10.1.0.6:3390"]);
        #[cfg(not(feature = "serde"))]
        assert!(read(json).iter().all(|l| l.starts_with("ERR")), "{:?}", read(json));
        let list = "#masscan\nopen tcp 3389 10.1.0.5 1700000000\nopen tcp 3390 10.1.0.6 1700000000\n# end\n";
        assert_eq!(read(list), ["10.1.0.5:3389", "10.1.0.6:3390"]);
    }

    #[test]
    fn large_list_stays_lazy() {
        use std::io::Read;
        // A reader over an endless source yields immediately: nothing is read ahead.
        let endless = std::io::BufReader::new(std::io::repeat(b'\n').take(1 << 20).chain("10.0.0.1\n".as_bytes()));
        let mut r = InputReader::new(endless);
        assert_eq!(r.next().unwrap().unwrap(), TargetSpec::parse("10.0.0.1").unwrap());
    }
}
