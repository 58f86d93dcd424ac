//! Target syntax: `host`, `host:port`, `[v6]:port`, bare IPv6. Sans-IO.

use std::fmt;
use std::net::IpAddr;

/// One probe target: a host (name or address) and a port.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    /// Host name or IP address literal (IPv6 without brackets).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// The text the caller gave (reported as `target`).
    pub original: String,
}

/// Why a target string could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TargetError {
    /// Empty input.
    #[error("empty target")]
    Empty,
    /// The port is not a number in 1..=65535.
    #[error("invalid port in {0:?}")]
    BadPort(String),
    /// Unbalanced brackets or other syntax error.
    #[error("invalid target {0:?}")]
    Syntax(String),
    /// A port or range in a port list is not valid: not a number, 0, or a reversed range
    /// ([`crate::scan::targets::parse_ports`]).
    #[error("invalid port or range: {0}")]
    BadPortRange(String),
    /// A port list names no port ([`crate::scan::targets::parse_ports`]).
    #[error("no port given")]
    NoPort,
}

impl Target {
    /// Parses a target, using `default_port` when none is given.
    ///
    /// ```
    /// use rdp_probe::Target;
    /// let t = Target::parse("[::1]:3390", 3389)?;
    /// assert_eq!((t.host.as_str(), t.port), ("::1", 3390));
    /// assert_eq!(Target::parse("rdp.example.org", 3389)?.port, 3389);
    /// assert!(Target::parse("host:0", 3389).is_err());
    /// # Ok::<(), rdp_probe::TargetError>(())
    /// ```
    pub fn parse(s: &str, default_port: u16) -> Result<Target, TargetError> {
        let t = s.trim();
        if t.is_empty() {
            return Err(TargetError::Empty);
        }
        let port_of = |p: &str| -> Result<u16, TargetError> {
            match p.parse::<u16>() {
                Ok(n) if n != 0 => Ok(n),
                _ => Err(TargetError::BadPort(s.into())),
            }
        };
        let (host, port) = if let Some(rest) = t.strip_prefix('[') {
            let (h, after) = rest.split_once(']').ok_or_else(|| TargetError::Syntax(s.into()))?;
            let port = match after {
                "" => default_port,
                a => port_of(a.strip_prefix(':').ok_or_else(|| TargetError::Syntax(s.into()))?)?,
            };
            (h.to_string(), port)
        } else if t.parse::<IpAddr>().is_ok() {
            (t.to_string(), default_port) // bare IPv4 or IPv6 literal
        } else if let Some((h, p)) = t.rsplit_once(':') {
            if h.contains(':') {
                return Err(TargetError::Syntax(s.into()));
            }
            (h.to_string(), port_of(p)?)
        } else {
            (t.to_string(), default_port)
        };
        if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c == '/') {
            return Err(TargetError::Syntax(s.into()));
        }
        Ok(Target { host, port, original: s.to_string() })
    }

    /// A target for an address and port (the text is `ip:port` / `[v6]:port`).
    pub fn from_addr(ip: IpAddr, port: u16) -> Target {
        let original = std::net::SocketAddr::new(ip, port).to_string();
        Target { host: ip.to_string(), port, original }
    }

    /// The host as an IP address, when it is one.
    pub fn ip(&self) -> Option<IpAddr> {
        self.host.parse().ok()
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let t = Target::parse("host", 3389).unwrap();
        assert_eq!((t.host.as_str(), t.port), ("host", 3389));
        let t = Target::parse("10.0.0.1:3390", 3389).unwrap();
        assert_eq!((t.host.as_str(), t.port), ("10.0.0.1", 3390));
        let t = Target::parse("[::1]:3391", 3389).unwrap();
        assert_eq!((t.host.as_str(), t.port), ("::1", 3391));
        let t = Target::parse("::1", 3389).unwrap();
        assert_eq!((t.host.as_str(), t.port), ("::1", 3389));
        let t = Target::parse("[fe80::1]", 3389).unwrap();
        assert_eq!(t.port, 3389);
        assert!(Target::parse("host:0", 3389).is_err());
        assert!(Target::parse("host:x", 3389).is_err());
        assert!(Target::parse("[::1", 3389).is_err());
        assert!(Target::parse("", 3389).is_err());
    }
}
