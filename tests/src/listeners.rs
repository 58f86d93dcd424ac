//! Fake services on 127.0.0.1 (ephemeral ports are fine here: nothing else has to bind them).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// A background listener; stops (and closes its connections) on drop.
pub struct Listener {
    /// Where it listens.
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)); // wake accept()
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn spawn(on_accept: impl Fn(TcpStream) + Send + 'static) -> Listener {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let addr = l.local_addr().expect("local addr");
    let stop = Arc::new(AtomicBool::new(false));
    let stop2 = stop.clone();
    let thread = std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in l.incoming() {
            if stop2.load(Ordering::SeqCst) {
                break;
            }
            let Ok(s) = s else { continue };
            if let Ok(c) = s.try_clone() {
                held.push(c); // keep every connection open until the listener is dropped
            }
            on_accept(s);
        }
        for s in held {
            let _ = s.shutdown(std::net::Shutdown::Both);
        }
    });
    Listener { addr, stop, thread: Some(thread) }
}

/// Accepts connections and never sends a byte (connections stay open until drop).
pub fn silent_listener() -> (SocketAddr, Listener) {
    let l = spawn(|_s| {});
    (l.addr, l)
}

/// Sends `banner` as soon as a connection is accepted (e.g. `b"SSH-2.0-OpenSSH_9.2p1\r\n"`),
/// then reads and ignores input.
pub fn banner_server(banner: &'static [u8]) -> (SocketAddr, Listener) {
    let l = spawn(move |mut s| {
        let _ = s.write_all(banner);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while matches!(s.read(&mut buf), Ok(n) if n > 0) {}
        });
    });
    (l.addr, l)
}

/// Answers whatever it receives with `HTTP/1.1 400 Bad Request` (like a web server would
/// answer an X.224 Connection Request), then closes.
pub fn http_server() -> (SocketAddr, Listener) {
    let l = spawn(|mut s| {
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
            if matches!(s.read(&mut buf), Ok(n) if n > 0) {
                let body = "<html><body><h1>400 Bad Request</h1></body></html>\n";
                let _ = write!(
                    s,
                    "HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.shutdown(std::net::Shutdown::Write);
            }
        });
    });
    (l.addr, l)
}

/// A 127.0.0.1 port nothing listens on (bound, then released).
pub fn closed_port() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let a = l.local_addr().expect("addr");
    drop(l);
    a
}
