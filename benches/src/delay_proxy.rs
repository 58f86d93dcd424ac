//! A user-space TCP delay proxy: emulates a network round trip time (RTT) on loopback, where
//! the kernel has no netem.
//!
//! It listens on its own address (e.g. `127.0.0.3:0`), so the client still makes real TCP
//! connections, and forwards each accepted connection to one upstream server:
//!
//! * the client's bytes are held until one RTT after accept (the TCP handshake the client
//!   would have waited for), then
//! * every chunk is delayed by RTT/2 in each direction (client -> server and server -> client),
//!   in order; an end of stream (FIN) is delayed the same way.
//!
//! A request sent right after connect so reaches the server 1.5 RTT after accept and its
//! answer the client 2 RTT after accept, as over a real link. There is no bandwidth limit and
//! no loss. Connections accepted are counted ([`DelayProxy::accepts`]), to measure how many
//! TCP connections a client opens.
//!
//! Standard library only (threads, four per connection): tests can use it as it is, e.g.
//! `#[path = "../../benches/src/delay_proxy.rs"] mod delay_proxy;`.
//!
//! ```no_run
//! use rdp_probe_benches::delay_proxy::DelayProxy;
//! use std::time::Duration;
//! let upstream = "127.0.0.1:3389".parse().unwrap();
//! let proxy = DelayProxy::start("127.0.0.3:0".parse().unwrap(), upstream, Duration::from_millis(50)).unwrap();
//! // ... point a client at proxy.addr() ...
//! println!("{} connections", proxy.take_accepts());
//! ```

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A running delay proxy. Dropping it stops accepting; connections already open run on until
/// either side closes them.
pub struct DelayProxy {
    addr: SocketAddr,
    upstream: SocketAddr,
    rtt: Duration,
    accepts: Arc<AtomicUsize>,
    active: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl DelayProxy {
    /// Listens on `listen` (port 0: any free port) and forwards every connection to
    /// `upstream` with `rtt` of emulated round trip time.
    pub fn start(listen: SocketAddr, upstream: SocketAddr, rtt: Duration) -> io::Result<DelayProxy> {
        let listener = TcpListener::bind(listen)?;
        let addr = listener.local_addr()?;
        let accepts = Arc::new(AtomicUsize::new(0));
        let active = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (a, act, s) = (accepts.clone(), active.clone(), stop.clone());
        let thread = std::thread::Builder::new()
            .name(format!("delay-proxy {addr}"))
            .spawn(move || accept_loop(listener, upstream, rtt, a, act, s))?;
        Ok(DelayProxy { addr, upstream, rtt, accepts, active, stop, thread: Some(thread) })
    }

    /// Where the proxy listens (point the client here).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The server behind the proxy.
    pub fn upstream(&self) -> SocketAddr {
        self.upstream
    }

    /// The emulated round trip time.
    pub fn rtt(&self) -> Duration {
        self.rtt
    }

    /// Connections accepted since start (or since the last [`DelayProxy::take_accepts`]).
    pub fn accepts(&self) -> usize {
        self.accepts.load(Ordering::SeqCst)
    }

    /// Connections accepted since start or the last call, and resets the count to 0.
    pub fn take_accepts(&self) -> usize {
        self.accepts.swap(0, Ordering::SeqCst)
    }

    /// Connections still open through the proxy (either direction not yet closed).
    pub fn active(&self) -> usize {
        self.active.load(Ordering::SeqCst)
    }

    /// Waits until no connection is open through the proxy, at most `limit`; true when idle.
    /// The kernel completes a handshake before the proxy accepts it, so call this (or wait a
    /// little) before reading [`DelayProxy::accepts`] right after a client exits.
    pub fn wait_idle(&self, limit: Duration) -> bool {
        let start = Instant::now();
        // Let connections still in the listen backlog be accepted first.
        std::thread::sleep(Duration::from_millis(20));
        while self.active() > 0 {
            if start.elapsed() > limit {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        true
    }
}

impl Drop for DelayProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn accept_loop(
    listener: TcpListener,
    upstream: SocketAddr,
    rtt: Duration,
    accepts: Arc<AtomicUsize>,
    active: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
) {
    for conn in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(client) = conn else { continue };
        let accepted = Instant::now();
        accepts.fetch_add(1, Ordering::SeqCst);
        active.fetch_add(1, Ordering::SeqCst);
        let act = active.clone();
        let spawned = std::thread::Builder::new().name("delay-proxy conn".into()).spawn(move || {
            let _ = relay(client, upstream, rtt, accepted);
            act.fetch_sub(1, Ordering::SeqCst);
        });
        if spawned.is_err() {
            // No thread: the client socket was dropped (closed) with the closure.
            active.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// Forwards one connection until both directions are closed.
fn relay(client: TcpStream, upstream: SocketAddr, rtt: Duration, accepted: Instant) -> io::Result<()> {
    let server = match TcpStream::connect(upstream) {
        Ok(s) => s,
        Err(e) => {
            // A refused connection shows up after the handshake time, as a reset would.
            std::thread::sleep(rtt);
            drop(client);
            return Err(e);
        }
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let half = rtt / 2;
    let hold_until = accepted + rtt;
    let up = pipe(client.try_clone()?, server.try_clone()?, half, Some(hold_until), "c->s")?;
    let down = pipe(server, client, half, None, "s->c")?;
    for t in up.into_iter().chain(down) {
        let _ = t.join();
    }
    Ok(())
}

/// One direction: a reader thread stamps each chunk with its delivery time and a writer thread
/// delivers it then. Returns both threads.
fn pipe(
    mut from: TcpStream,
    mut to: TcpStream,
    delay: Duration,
    hold_until: Option<Instant>,
    name: &str,
) -> io::Result<Vec<JoinHandle<()>>> {
    let (tx, rx) = mpsc::channel::<(Instant, Option<Vec<u8>>)>();
    let from_for_writer = from.try_clone()?;
    let due = move || {
        let now = Instant::now();
        hold_until.map_or(now, |h| now.max(h)) + delay
    };
    let reader = std::thread::Builder::new().name(format!("delay-proxy {name} read")).spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => {
                    let _ = tx.send((due(), None));
                    return;
                }
                Ok(n) => {
                    if tx.send((due(), Some(buf[..n].to_vec()))).is_err() {
                        return;
                    }
                }
            }
        }
    })?;
    let writer = std::thread::Builder::new().name(format!("delay-proxy {name} write")).spawn(move || {
        for (at, chunk) in rx {
            let now = Instant::now();
            if at > now {
                std::thread::sleep(at - now);
            }
            match chunk {
                Some(bytes) => {
                    if to.write_all(&bytes).is_err() {
                        // The receiver is gone: stop reading from the sender too.
                        let _ = from_for_writer.shutdown(Shutdown::Read);
                        return;
                    }
                }
                None => {
                    let _ = to.shutdown(Shutdown::Write);
                    return;
                }
            }
        }
    })?;
    Ok(vec![reader, writer])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn echo_server() -> SocketAddr {
        let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let addr = l.local_addr().unwrap();
        std::thread::spawn(move || {
            for s in l.incoming() {
                let Ok(mut s) = s else { continue };
                std::thread::spawn(move || {
                    let mut buf = [0u8; 1024];
                    while let Ok(n) = s.read(&mut buf) {
                        if n == 0 || s.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                });
            }
        });
        addr
    }

    // Behaviour only; no timing is asserted (loaded CI machines).
    #[test]
    fn forwards_both_ways_and_counts_accepts() {
        let up = echo_server();
        let proxy = DelayProxy::start((Ipv4Addr::LOCALHOST, 0).into(), up, Duration::from_millis(10)).unwrap();
        for round in 0..2u8 {
            let mut c = TcpStream::connect(proxy.addr()).unwrap();
            c.write_all(b"hello").unwrap();
            c.write_all(&[round]).unwrap();
            let mut got = [0u8; 6];
            c.read_exact(&mut got).unwrap();
            assert_eq!(&got, &[b'h', b'e', b'l', b'l', b'o', round]);
            c.shutdown(Shutdown::Write).unwrap();
            let mut rest = Vec::new();
            c.read_to_end(&mut rest).unwrap();
            assert!(rest.is_empty());
        }
        assert!(proxy.wait_idle(Duration::from_secs(10)));
        assert_eq!(proxy.take_accepts(), 2);
        assert_eq!(proxy.accepts(), 0);
    }

    #[test]
    fn refused_upstream_closes_the_client() {
        let closed = {
            let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
            l.local_addr().unwrap()
        };
        let proxy = DelayProxy::start((Ipv4Addr::LOCALHOST, 0).into(), closed, Duration::from_millis(2)).unwrap();
        let mut c = TcpStream::connect(proxy.addr()).unwrap();
        let mut buf = Vec::new();
        let _ = c.read_to_end(&mut buf);
        assert!(buf.is_empty());
        assert!(proxy.wait_idle(Duration::from_secs(10)));
        assert_eq!(proxy.accepts(), 1);
    }
}
