//! NLA (CredSSP/NTLM) against FreeRDP's shadow server in `/sec:nla` mode on 127.0.0.1, run
//! under `unshare -u` with its own host name so the NTLM target info is known, with a SAM file
//! from `winpr-hash`. Cross-checked with nmap's rdp-ntlm-info.
//!
//! Local fixture: the `lab` harness (`rdp_probe_tests::freerdp_shadow`) had not landed when
//! this was written; `Shadow` below does the same for this module only.

use rdp_probe::{probe, Credentials, ProbeOptions, Steps, Target};
use rdp_probe_tests::have;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const USER: &str = "alice";
const DOMAIN: &str = "LABDOM";
const PASSWORD: &str = "S3cret!pw-nla";

/// A free loopback port in 22100..22999 (this module's range) whose X display number is free too.
fn free_port(seed: u16) -> u16 {
    let start = 22100 + (std::process::id() as u16 % 400) + seed * 7;
    (start..22999)
        .find(|p| {
            TcpListener::bind(("127.0.0.1", *p)).is_ok()
                && !Path::new(&format!("/tmp/.X{p}-lock")).exists()
                && !Path::new(&format!("/tmp/.X11-unix/X{p}")).exists()
        })
        .expect("free port")
}

/// A child process we started, stopped with SIGTERM (Xvfb then removes its lock file) and
/// reaped on drop.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status();
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(2) {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Shadow {
    // Field order = drop order: the server goes before its display.
    _server: Proc,
    _xvfb: Proc,
    port: u16,
    hostname: String,
    _dir: tempfile::TempDir,
}

fn wait_listening(port: u16, child: &mut Child) -> bool {
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(10) {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// Starts Xvfb, then freerdp-shadow-cli /sec:nla under `unshare -u` with host name `hostname`.
fn shadow(seed: u16, hostname: &str) -> Option<Shadow> {
    if !have("freerdp-shadow-cli") || !have("Xvfb") || !have("winpr-hash") || !have("unshare") {
        panic!("freerdp-shadow-cli, Xvfb, winpr-hash or unshare missing (lab/install.sh installs them)");
    }
    let dir = tempfile::tempdir().ok()?;
    let d = dir.path();
    let sam = Command::new("winpr-hash").args(["-u", USER, "-p", PASSWORD, "-d", DOMAIN, "-f", "sam"]).output().ok()?;
    std::fs::write(d.join("sam"), &sam.stdout).ok()?;
    let certdir = d.join("cfg/freerdp/shadow");
    std::fs::create_dir_all(&certdir).ok()?;
    let ok = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=nla-test"])
        .arg("-keyout")
        .arg(certdir.join("shadow.key"))
        .arg("-out")
        .arg(certdir.join("shadow.crt"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()?
        .success();
    assert!(ok, "openssl req failed");
    // Display number = port (this module's range), so instances never share one.
    let port = free_port(seed);
    let display = format!(":{port}");
    let xvfb = Proc(
        Command::new("Xvfb")
            .args([display.as_str(), "-nolisten", "tcp"])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(d.join("xvfb.log")).ok()?)
            .spawn()
            .ok()?,
    );
    let sock = format!("/tmp/.X11-unix/X{port}");
    let t = Instant::now();
    while !Path::new(&sock).exists() && t.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    // Xvfb's socket may exist before it accepts clients: under load the shadow server then
    // fails with "failed to open display". Retry a few times.
    let mut attempt = 0;
    let server = loop {
        attempt += 1;
        let mut server = Proc(
            Command::new("unshare")
                .args(["-u", "sh", "-c"])
                .arg(format!(
                    "hostname {hostname} && exec freerdp-shadow-cli /bind-address:127.0.0.1 /port:{port} /sec:nla /sam-file:{}",
                    d.join("sam").display()
                ))
                .env("DISPLAY", &display)
                .env("XDG_CONFIG_HOME", d.join("cfg"))
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(d.join("shadow.log")).ok()?)
                .spawn()
                .ok()?,
        );
        if wait_listening(port, &mut server.0) {
            break server;
        }
        if attempt == 5 {
            let log = std::fs::read_to_string(d.join("shadow.log")).unwrap_or_default();
            let xlog = std::fs::read_to_string(d.join("xvfb.log")).unwrap_or_default();
            panic!("shadow server did not start on {port} (display {display}): {log}\nXvfb: {xlog}");
        }
        std::thread::sleep(Duration::from_millis(300));
    };
    Some(Shadow { _server: server, _xvfb: xvfb, port, hostname: hostname.into(), _dir: dir })
}

fn options(creds: Option<Credentials>) -> ProbeOptions {
    let mut o = ProbeOptions::builder()
        .timeout(Duration::from_secs(5))
        .steps(Steps { nla: true, negotiation_extended: true, ..Steps::NEGOTIATION })
        .build();
    o.credentials = creds;
    o
}

async fn run(port: u16, creds: Option<Credentials>) -> serde_json::Value {
    let target = Target::parse(&format!("127.0.0.1:{port}"), 3389).unwrap();
    let report = probe(&target, &options(creds)).await;
    let j = serde_json::to_value(&report).unwrap();
    assert!(!j.to_string().contains(PASSWORD), "the password leaked into the report");
    assert!(!format!("{report:?}").contains(PASSWORD), "the password leaked into Debug output");
    j
}

/// nmap rdp-ntlm-info's fields (Target_Name, NetBIOS_Domain_Name, ...) as (key, value).
fn nmap_ntlm_info(port: u16, datadir: &Path) -> Option<Vec<(String, String)>> {
    if !have("nmap") {
        return None;
    }
    // nmap runs rdp-* scripts only on ports its services file names ms-wbt-server: drop any
    // other entry for this port and name it so.
    let services = std::fs::read_to_string("/usr/share/nmap/nmap-services").ok()?;
    let mine = format!("\t{port}/tcp");
    let mut file: String = services.lines().filter(|l| !l.contains(&mine)).map(|l| format!("{l}\n")).collect();
    file.push_str(&format!("ms-wbt-server\t{port}/tcp\t0.5\t# test\n"));
    std::fs::write(datadir.join("nmap-services"), file).ok()?;
    let out = Command::new("nmap")
        .args(["-n", "-Pn", "-p", &port.to_string(), "--script", "rdp-ntlm-info", "--datadir"])
        .arg(datadir)
        .arg("127.0.0.1")
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    Some(
        text.lines()
            .filter_map(|l| l.trim_start_matches(['|', '_', ' ']).split_once(": "))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nla_identity_matches_config_and_nmap() {
    let s = shadow(0, "nla-ident-host").expect("FreeRDP shadow server did not start");
    let j = run(s.port, None).await;
    let nla = &j["nla"];
    eprintln!("nla: {nla:#}\ntimings: {}", j["timings_ms"]);
    assert!(nla.is_object(), "no nla report: {j:#}");
    assert_eq!(nla["error"], serde_json::Value::Null, "{nla:#}");
    assert_eq!(nla["credssp_version"], 6, "{nla:#}");
    assert_eq!(nla["cve_2018_0886_fixed"], true);
    assert_eq!(nla["requirement"], "required");
    let ntlm = &nla["ntlm"];
    let up = s.hostname.to_uppercase();
    assert_eq!(ntlm["netbios_computer"], up.as_str());
    assert_eq!(ntlm["netbios_domain"], up.as_str());
    assert_eq!(ntlm["dns_computer"], s.hostname.as_str());
    assert_eq!(ntlm["dns_domain"], s.hostname.as_str());
    assert_eq!(ntlm["product_version"], "6.1.7601");
    assert_eq!(ntlm["os_build"], 7601);
    assert_eq!(ntlm["ntlm_revision"], 15);
    assert_eq!(ntlm["target_name"], up.as_str());
    let skew = ntlm["clock_skew_s"].as_f64().expect("clock skew");
    assert!(skew.abs() < 5.0, "same machine, skew {skew}");
    assert!(ntlm["server_time"].as_str().unwrap().ends_with('Z'));
    assert!(ntlm["flags"].as_array().unwrap().iter().any(|f| f == "negotiate_version"));
    assert!(nla.get("auth").is_none(), "no credential check without credentials");

    // Peer: nmap rdp-ntlm-info must report the same identity.
    let dir = tempfile::tempdir().unwrap();
    if let Some(fields) = nmap_ntlm_info(s.port, dir.path()) {
        let get = |k: &str| fields.iter().find(|(f, _)| f == k).map(|(_, v)| v.clone());
        eprintln!("nmap rdp-ntlm-info: {fields:?}");
        assert!(get("Target_Name").is_some(), "nmap did not run rdp-ntlm-info: {fields:?}");
        assert_eq!(get("Target_Name").as_deref(), ntlm["target_name"].as_str(), "{fields:?}");
        assert_eq!(get("NetBIOS_Domain_Name").as_deref(), ntlm["netbios_domain"].as_str());
        assert_eq!(get("NetBIOS_Computer_Name").as_deref(), ntlm["netbios_computer"].as_str());
        assert_eq!(get("DNS_Domain_Name").as_deref(), ntlm["dns_domain"].as_str());
        assert_eq!(get("DNS_Computer_Name").as_deref(), ntlm["dns_computer"].as_str());
        assert_eq!(get("Product_Version").as_deref(), ntlm["product_version"].as_str());
        // Same day at least (nmap prints +00:00, we print Z).
        assert_eq!(
            get("System_Time").map(|t| t[..10].to_string()).as_deref(),
            ntlm["server_time"].as_str().map(|t| &t[..10])
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nla_credential_check() {
    let s = shadow(1, "nla-auth-host").expect("FreeRDP shadow server did not start");
    // Right password: accepted, the server's pubKeyAuth verified against the TLS key.
    let j = run(s.port, Some(Credentials::parse(&format!("{DOMAIN}\\{USER}"), PASSWORD.into()))).await;
    let auth = &j["nla"]["auth"];
    eprintln!("right password: {auth:#} (nla {} ms)", j["timings_ms"]["nla"]);
    assert_eq!(auth["accepted"], true, "{:#}", j["nla"]);
    assert_eq!(auth["status"], "accepted");
    assert_eq!(auth["server_key_verified"], true);
    assert_eq!(auth["credentials_delegated"], false);
    assert_eq!(auth["user"], format!("{DOMAIN}\\{USER}"));

    // Wrong password: refused.
    let j = run(s.port, Some(Credentials::parse(&format!("{USER}@{DOMAIN}"), "wrong-password".into()))).await;
    let auth = &j["nla"]["auth"];
    eprintln!("wrong password: {auth:#}");
    assert_eq!(auth["accepted"], false, "{:#}", j["nla"]);
    assert_eq!(auth["status"], "rejected (server closed the connection)", "{auth:#}");

    // Unknown user: refused.
    let j = run(s.port, Some(Credentials::parse(&format!("{DOMAIN}\\nobody"), PASSWORD.into()))).await;
    let auth = &j["nla"]["auth"];
    assert_eq!(auth["accepted"], false, "{:#}", j["nla"]);
    assert_eq!(auth["status"], "rejected (server closed the connection)", "{auth:#}");
}
