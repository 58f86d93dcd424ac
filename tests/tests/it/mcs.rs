//! MCS / GCC basic settings exchange against real servers: xrdp with every crypt_level under
//! security_layer=rdp (checked against its configuration and against nmap's
//! rdp-enum-encryption on the same server), xrdp with tls / negotiate, and FreeRDP's shadow
//! server with /sec:rdp probed from 127.0.0.2 (it turns encryption off for 127.0.0.1 / ::1).
//!
//! The lab harness (`rdp_probe_tests::{xrdp, freerdp_shadow, run_nmap_script}`) had not landed
//! on main when this was written, so a small local fixture with the same names is used (ports
//! 23100-23999). Switching is `use rdp_probe_tests::*` and deleting `mod fixture`.

use fixture::{freerdp_shadow, run_nmap_script, xrdp, ShadowConfig, XrdpConfig};
use rdp_probe::report::mcs::{EncryptionLevel, EncryptionMethod, MethodOutcome, Transport};
use rdp_probe::report::McsReport;
use rdp_probe::{ProbeOptions, Steps, Target};
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

mod fixture {
    use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
    use std::os::unix::process::CommandExt;
    use std::path::Path;
    use std::process::{Child, Command, Stdio};
    use std::sync::atomic::{AtomicU16, Ordering};
    use std::time::{Duration, Instant};

    /// A server process (own process group) killed with its children on drop.
    pub struct Server {
        pub addr: SocketAddr,
        child: Child,
        extra: Vec<Child>,
        _dir: tempfile::TempDir,
    }

    impl Drop for Server {
        fn drop(&mut self) {
            kill_group(&mut self.child);
            for c in &mut self.extra {
                kill_group(c);
            }
        }
    }

    fn kill_group(child: &mut Child) {
        // The group was created by us (process_group(0)): its id is the child's pid.
        let _ = Command::new("kill").args(["-TERM", "--", &format!("-{}", child.id())]).status();
        let _ = child.kill();
        let _ = child.wait();
    }

    static NEXT_PORT: AtomicU16 = AtomicU16::new(23100);

    fn free_port() -> u16 {
        loop {
            let p = NEXT_PORT.fetch_add(1, Ordering::SeqCst);
            assert!(p < 24000, "out of test ports");
            if TcpListener::bind((Ipv4Addr::LOCALHOST, p)).is_ok() {
                return p;
            }
        }
    }

    fn spawn(argv: &[&str], env: &[(&str, &str)], log: &Path) -> Child {
        let out = std::fs::File::create(log).expect("log file");
        let err = out.try_clone().expect("log file");
        let mut c = Command::new(argv[0]);
        c.args(&argv[1..]).envs(env.iter().copied()).stdin(Stdio::null()).stdout(out).stderr(err);
        c.process_group(0);
        c.spawn().unwrap_or_else(|e| panic!("spawn {argv:?}: {e}"))
    }

    /// Waits (<= 10 s) until `addr` accepts TCP; false when the process exits first.
    fn listening(child: &mut Child, addr: SocketAddr) -> bool {
        let until = Instant::now() + Duration::from_secs(10);
        while Instant::now() < until {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return true;
            }
            if let Ok(Some(_)) = child.try_wait() {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    fn self_signed(dir: &Path) -> (String, String) {
        let (c, k) = (dir.join("cert.pem"), dir.join("key.pem"));
        let st = Command::new("openssl")
            .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-subj", "/CN=localhost"])
            .arg("-keyout")
            .arg(&k)
            .arg("-out")
            .arg(&c)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("openssl");
        assert!(st.success());
        (c.display().to_string(), k.display().to_string())
    }

    /// xrdp.ini `[Globals]` settings.
    pub struct XrdpConfig {
        pub security_layer: &'static str,
        pub crypt_level: &'static str,
    }

    pub fn xrdp(cfg: XrdpConfig) -> Server {
        let dir = tempfile::Builder::new().prefix("mcs-xrdp-").tempdir().expect("tempdir");
        let (cert, key) = self_signed(dir.path());
        let port = free_port();
        let log = dir.path().join("xrdp.log");
        let ini = format!(
            "[Globals]\nini_version=1\nfork=true\nport=tcp://127.0.0.1:{port}\nuse_vsock=false\n\
             security_layer={}\ncrypt_level={}\ncertificate={cert}\nkey_file={key}\n\
             ssl_protocols=TLSv1.2, TLSv1.3\nmax_bpp=32\n\n[Logging]\nLogFile={}\nLogLevel=DEBUG\n\
             EnableSyslog=false\nEnableConsole=false\n\n[Channels]\nrdpdr=true\nrdpsnd=true\n\
             drdynvc=true\ncliprdr=true\n",
            cfg.security_layer,
            cfg.crypt_level,
            log.display()
        );
        let path = dir.path().join("xrdp.ini");
        std::fs::write(&path, ini).expect("xrdp.ini");
        let out = dir.path().join("stdout.log");
        let p = path.display().to_string();
        let mut child = spawn(&["xrdp", "--nodaemon", "--config", &p], &[], &out);
        let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port);
        if !listening(&mut child, addr) {
            kill_group(&mut child);
            panic!("xrdp did not start: {}", std::fs::read_to_string(&out).unwrap_or_default());
        }
        Server { addr, child, extra: Vec::new(), _dir: dir }
    }

    /// freerdp-shadow-cli settings.
    pub struct ShadowConfig {
        pub sec: &'static str,
    }

    static NEXT_DISPLAY: AtomicU16 = AtomicU16::new(231);

    /// An Xvfb of our own on a free display (231..), killed with the server.
    fn xvfb(dir: &Path) -> (Child, String) {
        loop {
            let n = NEXT_DISPLAY.fetch_add(1, Ordering::SeqCst);
            assert!(n < 300, "no free X display");
            let sock = format!("/tmp/.X11-unix/X{n}");
            if Path::new(&sock).exists() {
                continue;
            }
            let log = dir.join(format!("xvfb-{n}.log"));
            let d = format!(":{n}");
            let mut child = spawn(&["Xvfb", &d, "-nolisten", "tcp"], &[], &log);
            let until = Instant::now() + Duration::from_secs(5);
            while !Path::new(&sock).exists() && Instant::now() < until {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            if Path::new(&sock).exists() {
                return (child, d);
            }
            kill_group(&mut child);
        }
    }

    pub fn freerdp_shadow(cfg: ShadowConfig) -> Server {
        let dir = tempfile::Builder::new().prefix("mcs-shadow-").tempdir().expect("tempdir");
        let shadow_dir = dir.path().join("freerdp/shadow");
        std::fs::create_dir_all(&shadow_dir).expect("shadow dir");
        let (c, k) = self_signed(dir.path());
        std::fs::copy(c, shadow_dir.join("shadow.crt")).expect("crt");
        std::fs::copy(k, shadow_dir.join("shadow.key")).expect("key");
        let (xvfb, display) = xvfb(dir.path());
        let xdg = dir.path().display().to_string();
        let sec = format!("/sec:{}", cfg.sec);
        let mut last = String::new();
        for _ in 0..3 {
            let port = free_port();
            let out = dir.path().join(format!("shadow-{port}.log"));
            let port_arg = format!("/port:{port}");
            let mut child = spawn(
                &["freerdp-shadow-cli", "/bind-address:127.0.0.1", &port_arg, &sec],
                &[("DISPLAY", display.as_str()), ("XDG_CONFIG_HOME", xdg.as_str())],
                &out,
            );
            let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port);
            match listening(&mut child, addr) {
                true => return Server { addr, child, extra: vec![xvfb], _dir: dir },
                false => {
                    kill_group(&mut child);
                    last = std::fs::read_to_string(&out).unwrap_or_default();
                }
            }
        }
        panic!("freerdp-shadow-cli did not start: {last}");
    }

    /// `nmap -n -Pn -sT -p PORT --script SCRIPT` with a data dir naming the port ms-wbt-server.
    pub fn run_nmap_script(addr: SocketAddr, script: &str) -> String {
        let dd = tempfile::Builder::new().prefix("mcs-nmap-").tempdir().expect("tempdir");
        let orig = std::fs::read_to_string("/usr/share/nmap/nmap-services").expect("nmap-services");
        let me = format!("{}/tcp", addr.port());
        let mut s: String =
            orig.lines().filter(|l| l.split('\t').nth(1) != Some(&me)).map(|l| format!("{l}\n")).collect();
        s += &format!("ms-wbt-server\t{me}\t0.500000\t# test\n");
        std::fs::write(dd.path().join("nmap-services"), s).expect("nmap-services");
        let out = Command::new("nmap")
            .args(["-n", "-Pn", "-sT", "--datadir"])
            .arg(dd.path())
            .args(["-p", &addr.port().to_string(), "--script", script, &addr.ip().to_string()])
            .output()
            .expect("nmap");
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    }
}

fn steps() -> Steps {
    Steps {
        negotiation_extended: false,
        tls: false,
        tls_versions: false,
        tls_ciphers: false,
        nla: false,
        mcs: true,
        mcs_methods: true,
        session: false,
    }
}

async fn probe_mcs(addr: SocketAddr, source: Option<IpAddr>) -> McsReport {
    let mut b = ProbeOptions::builder().timeout(Duration::from_secs(5)).steps(steps());
    if let Some(s) = source {
        b = b.source(s);
    }
    let opts = b.build();
    let target = Target::parse(&addr.to_string(), 3389).unwrap();
    let report = rdp_probe::probe(&target, &opts).await;
    eprintln!("{}", serde_json::to_string_pretty(&report.mcs).unwrap());
    report.mcs.clone().unwrap_or_else(|| panic!("no mcs report: {report:?}"))
}

/// nmap's "RDP Encryption level" and its SUCCESS cipher lines, mapped to our names.
fn nmap_encryption(out: &str) -> (Option<String>, BTreeMap<EncryptionMethod, bool>) {
    let level = out.lines().find_map(|l| l.split("RDP Encryption level: ").nth(1)).map(|s| {
        match s.trim() {
            "None" => "none",
            "Low" => "low",
            "Client Compatible" => "client_compatible",
            "High" => "high",
            "FIPS Compliant" => "fips",
            _ => "unknown",
        }
        .to_string()
    });
    let mut methods = BTreeMap::new();
    for (nmap_name, ours) in
        [("40-bit RC4", "40bit"), ("56-bit RC4", "56bit"), ("128-bit RC4", "128bit"), ("FIPS 140-1", "fips")]
    {
        methods.insert(EncryptionMethod::parse(ours).unwrap(), out.contains(&format!("{nmap_name}: SUCCESS")));
    }
    (level, methods)
}

/// xrdp under Standard RDP Security: level and methods as configured, and as nmap sees them.
async fn xrdp_rdp(crypt_level: &'static str, level: &str, method: &str) {
    let server = xrdp(XrdpConfig { security_layer: "rdp", crypt_level });
    let r = probe_mcs(server.addr, None).await;
    let (level_name, method_name) = (level, method);
    let (level, method) = (EncryptionLevel::parse(level).unwrap(), EncryptionMethod::parse(method).unwrap());
    assert_eq!(r.transport, Some(Transport::Tcp));
    assert_eq!(r.error, None);
    assert_eq!(r.rdp_version.as_deref(), Some("RDP 5.0-8.1"));
    assert_eq!(r.version_code, Some(0x0008_0004));
    assert_eq!(r.client_requested_protocols.as_deref(), Some(&["rdp".to_string()][..]));
    assert_eq!(r.encryption_level, Some(level));
    assert_eq!(r.selected_method, Some(method));
    // xrdp ignores encryptionMethods: every single-method offer gets the configured method.
    for (name, a) in &r.method_answers {
        assert_eq!(a.outcome, MethodOutcome::Answered, "{name}: {a:?}");
        assert_eq!(a.method, Some(method), "{name}");
        assert_eq!(a.level, Some(level), "{name}");
        assert_eq!(r.encryption_methods[name], *name == method, "{name}");
    }
    assert_eq!(r.method_behaviour.as_deref(), Some(format!("answers {method_name} whatever is offered").as_str()));
    if method == EncryptionMethod::None {
        // crypt_level=none: a 12-byte SC_SECURITY, no random, no certificate
        assert_eq!(r.server_certificate, None);
        assert_eq!(r.server_random_len, None);
    } else {
        let c = r.server_certificate.as_ref().unwrap();
        assert_eq!(c.kind, "proprietary");
        assert_eq!(c.key_bits, Some(2048)); // Debian's /etc/xrdp/rsakeys.ini
        assert_eq!(c.exponent, Some(65537));
        assert_eq!(c.signature_valid, Some(true));
        assert_eq!(r.server_random_len, Some(32));
    }
    // The channels xrdp grants for our CS_NET offer (rdpdr, rdpsnd, cliprdr, drdynvc).
    assert_eq!(r.io_channel, Some(1003));

    // nmap on the same server. Its cipher check compares the answered method with the offer,
    // like our `encryption_methods`, so both list only the configured method; nmap never offers
    // NONE (we do: `method_answers.none`), and with crypt_level=none it lists no cipher at all.
    // Its "Security layer" lines (not compared here) claim SUCCESS for CredSSP/RDSTLS/SSL on an
    // rdp-only xrdp: it counts any RDP_NEG_RSP as success without reading the selected protocol.
    let out = run_nmap_script(server.addr, "rdp-enum-encryption");
    let (nlevel, nmethods) = nmap_encryption(&out);
    if method == EncryptionMethod::None {
        // Measured: against crypt_level=none nmap 7.93 prints no rdp-enum-encryption output at
        // all (its parser gives up on the 12-byte SC_SECURITY without random/certificate);
        // we report level none, method none.
        assert_eq!(nlevel, None, "nmap:\n{out}");
        return;
    }
    assert_eq!(nlevel.as_deref(), Some(level_name), "nmap:\n{out}");
    for (name, ok) in nmethods {
        assert_eq!(r.encryption_methods[&name], ok, "{name}: nmap:\n{out}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn xrdp_rdp_none() {
    xrdp_rdp("none", "none", "none").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn xrdp_rdp_low() {
    xrdp_rdp("low", "low", "40bit").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn xrdp_rdp_medium() {
    // xrdp's "medium" is 40-bit at level Client Compatible
    xrdp_rdp("medium", "client_compatible", "40bit").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn xrdp_rdp_high() {
    xrdp_rdp("high", "high", "128bit").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn xrdp_rdp_fips() {
    xrdp_rdp("fips", "fips", "fips").await;
}

/// security_layer=tls: PROTOCOL_RDP is refused, MCS runs inside TLS (Enhanced RDP Security):
/// level and method NONE, the RDP version still visible. (nmap's rdp-enum-encryption crashes on
/// xrdp tls targets: not compared.)
#[tokio::test(flavor = "multi_thread")]
async fn xrdp_tls() {
    let server = xrdp(XrdpConfig { security_layer: "tls", crypt_level: "high" });
    let r = probe_mcs(server.addr, None).await;
    assert_eq!(r.transport, Some(Transport::Tls));
    assert_eq!(r.error, None);
    assert_eq!(r.rdp_version.as_deref(), Some("RDP 5.0-8.1"));
    assert_eq!(r.client_requested_protocols.as_deref(), Some(&["ssl".to_string()][..]));
    assert_eq!(r.encryption_level, Some(EncryptionLevel::None));
    assert_eq!(r.selected_method, Some(EncryptionMethod::None));
    assert!(r.method_answers.is_empty());
    assert_eq!(r.server_certificate, None);
}

/// security_layer=negotiate: PROTOCOL_RDP is accepted, so the Standard RDP Security path runs
/// and shows the configured level (high).
#[tokio::test(flavor = "multi_thread")]
async fn xrdp_negotiate() {
    let server = xrdp(XrdpConfig { security_layer: "negotiate", crypt_level: "high" });
    let r = probe_mcs(server.addr, None).await;
    assert_eq!(r.transport, Some(Transport::Tcp));
    assert_eq!(r.encryption_level, Some(EncryptionLevel::High));
    assert_eq!(r.selected_method, Some(EncryptionMethod::Bit128));
    assert_eq!(r.encryption_methods.get(&EncryptionMethod::Bit128), Some(&true));
    assert_eq!(r.encryption_methods.get(&EncryptionMethod::Bit40), Some(&false));
}

/// FreeRDP shadow /sec:rdp probed from 127.0.0.2: it answers the offered method at level
/// Client Compatible with a proprietary certificate. From 127.0.0.1 it turns encryption off.
#[tokio::test(flavor = "multi_thread")]
async fn shadow_rdp_from_other_loopback_address() {
    let server = freerdp_shadow(ShadowConfig { sec: "rdp" });
    let r = probe_mcs(server.addr, Some("127.0.0.2".parse().unwrap())).await;
    assert_eq!(r.transport, Some(Transport::Tcp));
    assert_eq!(r.error, None);
    assert_eq!(r.encryption_level, Some(EncryptionLevel::ClientCompatible));
    for m in [EncryptionMethod::Bit40, EncryptionMethod::Bit56, EncryptionMethod::Bit128, EncryptionMethod::Fips] {
        assert_eq!(r.encryption_methods.get(&m), Some(&true), "{m}: {:?}", r.method_answers.get(&m));
    }
    assert_eq!(r.server_certificate.as_ref().map(|c| c.kind.as_str()), Some("proprietary"));
    // Measured: an offer of NONE alone is answered with 128-bit (not refused).
    assert_eq!(r.method_behaviour.as_deref(), Some("answers the offered method except none -> 128bit"));

    let local = probe_mcs(server.addr, None).await;
    assert_eq!(local.encryption_level, Some(EncryptionLevel::None));
    assert_eq!(local.selected_method, Some(EncryptionMethod::None));
}
