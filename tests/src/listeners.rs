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

/// A 127.0.0.1 port nothing listens on, for as long as the test process lives: a TCP socket is
/// bound to it (without SO_REUSEADDR) and never listens, so a connect gets a reset and no other
/// test's `bind(":0")` can be handed the same port (a released ephemeral port can be, and was:
/// the exporter test once saw its "closed" port answered). The socket is deliberately leaked.
pub fn closed_port() -> SocketAddr {
    // SAFETY: plain socket calls on a descriptor we own; the address structs are initialised.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        assert!(fd >= 0, "socket: {}", std::io::Error::last_os_error());
        let mut sa: libc::sockaddr_in = std::mem::zeroed();
        sa.sin_family = libc::AF_INET as libc::sa_family_t;
        sa.sin_addr.s_addr = u32::from_ne_bytes([127, 0, 0, 1]);
        sa.sin_port = 0;
        let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        let rc = libc::bind(fd, &sa as *const libc::sockaddr_in as *const libc::sockaddr, len);
        assert_eq!(rc, 0, "bind: {}", std::io::Error::last_os_error());
        let mut got: libc::sockaddr_in = std::mem::zeroed();
        let mut got_len = len;
        let rc = libc::getsockname(fd, &mut got as *mut libc::sockaddr_in as *mut libc::sockaddr, &mut got_len);
        assert_eq!(rc, 0, "getsockname: {}", std::io::Error::last_os_error());
        SocketAddr::from(([127, 0, 0, 1], u16::from_be(got.sin_port)))
    }
}
