//! Free TCP ports below the Linux ephemeral range (32768-60999), race-free within a process.

use std::net::{IpAddr, TcpListener};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

/// Candidate ranges: 14000-19999 and 30000-32699. 13380-13399 is the local lab (lab/lab.sh);
/// 20000-29999 is left to hand-run experiments.
const RANGES: [(u16, u16); 2] = [(14000, 19999), (30000, 32699)];

fn span() -> u32 {
    RANGES.iter().map(|(a, b)| u32::from(b - a) + 1).sum()
}

fn nth(mut n: u32) -> u16 {
    n %= span();
    for (a, b) in RANGES {
        let len = u32::from(b - a) + 1;
        if n < len {
            return a + n as u16;
        }
        n -= len;
    }
    unreachable!()
}

static NEXT: OnceLock<AtomicU32> = OnceLock::new();

/// A port on `ip` that nothing listens on right now. Each call in a process returns a
/// different port (an atomic counter seeded from the pid, so parallel test processes start
/// far apart); a candidate is checked by binding it. Servers that fail to bind anyway
/// (another process took it) are restarted on a new port by [`crate::xrdp`] and
/// [`crate::freerdp_shadow`].
pub fn free_port(ip: IpAddr) -> u16 {
    let next = NEXT.get_or_init(|| AtomicU32::new(std::process::id().wrapping_mul(7919) % span()));
    for _ in 0..span() {
        let p = nth(next.fetch_add(1, Ordering::Relaxed));
        if TcpListener::bind((ip, p)).is_ok() {
            return p;
        }
    }
    panic!("no free port on {ip}");
}
