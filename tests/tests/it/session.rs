//! The session step (`--session`, issue 13) against real servers: xrdp under Standard RDP
//! Security at every crypt level, under TLS and negotiate, reaches its logon screen (a PNG of
//! the desktop size, not one colour); FreeRDP's shadow server with `-auth` shows the Xvfb display
//! painted `#3366cc`, without `-auth` drops the session after Confirm Active; an NLA server
//! without delegation stops before anything beyond today's probe is sent; and the default probe
//! sends exactly what it sent before (no session connection).

use rdp_probe::report::session::{LicensingAnswer, SessionPhase, SessionReport, SessionSecurity, StopReason};
use rdp_probe::{ProbeOptions, Report, Steps, Target};
use rdp_probe_tests::{
    closed_port, freerdp_shadow, http_server, rdp_probe_bin, xrdp, xvfb_display, ShadowConfig, XrdpConfig,
};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

fn opts() -> ProbeOptions {
    ProbeOptions::builder()
        .timeout(Duration::from_secs(5))
        .overall_timeout(Duration::from_secs(40))
        .steps(Steps::NEGOTIATION)
        .session(true, true)
        .session_timeout(Duration::from_secs(5))
        .build()
}

fn probe_with(addr: SocketAddr, o: &ProbeOptions) -> Report {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(rdp_probe::probe(&Target::from_addr(addr.ip(), addr.port()), o))
}

fn session(addr: SocketAddr, o: &ProbeOptions) -> SessionReport {
    let r = probe_with(addr, o);
    let msg = format!("no session section: {r:?}");
    r.session.expect(&msg)
}

/// The PNG's size and its distinct colours (up to 16).
fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<[u8; 3]>) {
    let mut dec = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().expect("png header");
    let mut buf = vec![0; dec.output_buffer_size().expect("size")];
    let info = dec.next_frame(&mut buf).expect("png frame");
    assert_eq!(info.color_type, png::ColorType::Rgb);
    let mut colours: Vec<[u8; 3]> = Vec::new();
    for px in buf[..info.buffer_size()].chunks_exact(3) {
        let c = [px[0], px[1], px[2]];
        if !colours.contains(&c) {
            colours.push(c);
            if colours.len() >= 16 {
                break;
            }
        }
    }
    (info.width, info.height, colours)
}

fn reached_the_logon_screen(s: &SessionReport, what: &str) {
    assert_eq!(s.reached, Some(SessionPhase::Graphics), "{what}: {s:?}");
    assert_eq!(s.stopped, None, "{what}");
    assert_eq!(s.licensing, Some(LicensingAnswer::ValidClient), "{what}");
    let d = s.desktop.expect("desktop");
    assert_eq!((d.width, d.height), (1024, 768), "{what}");
    assert!(s.channels_joined.contains(&1003), "{what}: the I/O channel");
    assert!(s.first_frame_ms.is_some(), "{what}");
    let (w, h, colours) = decode_png(s.png.as_deref().expect("png bytes"));
    assert_eq!((w, h), (1024, 768), "{what}");
    assert!(colours.len() > 1, "{what}: a single colour {colours:?}");
}

#[test]
fn xrdp_every_layer_and_crypt_level_reaches_the_logon_screen() {
    for (layer, level, security) in [
        ("rdp", "none", SessionSecurity::Standard),
        ("rdp", "low", SessionSecurity::Standard),
        ("rdp", "medium", SessionSecurity::Standard),
        ("rdp", "high", SessionSecurity::Standard),
        ("rdp", "fips", SessionSecurity::Standard),
        ("tls", "high", SessionSecurity::Tls),
        ("negotiate", "high", SessionSecurity::Tls),
    ] {
        let x = xrdp(XrdpConfig { security_layer: layer.into(), crypt_level: level.into(), ..Default::default() });
        let s = session(x.addr, &opts());
        let what = format!("xrdp {layer}/{level}");
        reached_the_logon_screen(&s, &what);
        assert_eq!(s.security, Some(security), "{what}");
    }
}

/// xfreerdp's `/sec:rdp` path from a non-loopback-looking source: FreeRDP encrypts for 127.0.0.2.
#[test]
fn freerdp_shadow_shows_the_painted_display() {
    let display = xvfb_display();
    for (sec, source) in [("tls", None), ("rdp", Some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2))))] {
        let s =
            freerdp_shadow(ShadowConfig { sec: sec.into(), extra_args: vec!["-auth".into()], ..Default::default() });
        // Paint after the server connected to the display (Xvfb runs with -noreset anyway).
        let st = std::process::Command::new("xsetroot")
            .args(["-display", &display, "-solid", "#3366cc"])
            .status()
            .expect("xsetroot (package x11-xserver-utils)");
        assert!(st.success());
        let mut o = opts();
        o.source = source;
        let s = session(s.addr, &o);
        let what = format!("shadow /sec:{sec}");
        assert_eq!(s.reached, Some(SessionPhase::Graphics), "{what}: {s:?}");
        assert_eq!(s.licensing, Some(LicensingAnswer::ValidClient));
        let d = s.desktop.expect("desktop");
        let (w, h, colours) = decode_png(s.png.as_deref().expect("png"));
        assert_eq!((w, h), (u32::from(d.width), u32::from(d.height)), "{what}");
        assert_eq!(colours, [[0x33, 0x66, 0xcc]], "{what}: the painted colour, every pixel");
    }
}

#[test]
fn freerdp_shadow_without_auth_drops_after_confirm_active() {
    let s = freerdp_shadow(ShadowConfig { sec: "tls".into(), ..Default::default() });
    let s = session(s.addr, &opts());
    // It finishes the finalization (Font Map), checks Client Info with PAM, then closes.
    assert_eq!(s.reached, Some(SessionPhase::Finalization), "{s:?}");
    let st = s.stopped.expect("stopped");
    assert_eq!(st.phase, SessionPhase::Graphics);
    assert!(matches!(st.reason, StopReason::Closed | StopReason::ErrorInfo | StopReason::Ultimatum), "{st:?}");
    assert!(s.png.is_none());
}

#[test]
fn nla_without_delegation_sends_nothing_more() {
    let s = freerdp_shadow(ShadowConfig { sec: "nla".into(), ..Default::default() });
    let r = probe_with(s.addr, &ProbeOptions { raw: true, ..opts() });
    let sess = r.session.expect("session");
    let st = sess.stopped.expect("stopped");
    assert_eq!((st.phase, st.reason), (SessionPhase::Negotiation, StopReason::NlaNeedsDelegation));
    assert!(st.detail.contains("--delegate-credentials"), "{}", st.detail);
    assert!(r.transcript.iter().all(|e| !e.label.contains("session")), "no session connection");
}

#[test]
fn nla_with_delegated_credentials_reaches_graphics() {
    let s = freerdp_shadow(ShadowConfig { sec: "nla".into(), ..Default::default() });
    let o = ProbeOptions::builder()
        .timeout(Duration::from_secs(5))
        .overall_timeout(Duration::from_secs(40))
        .steps(Steps::NEGOTIATION)
        .session(true, true)
        .credentials(rdp_probe::Credentials::parse("DOMAIN\\user", "password".into()))
        .delegate_credentials(true)
        .build();
    let sess = session(s.addr, &o);
    assert_eq!(sess.security, Some(SessionSecurity::Nla), "{sess:?}");
    assert_eq!(sess.reached, Some(SessionPhase::Graphics), "{sess:?}");
}

/// Without `session` the probe opens no session connection: the transcript of a default probe
/// has no `session` connection and no Erect Domain.
#[test]
fn the_default_probe_sends_no_session() {
    let x = xrdp(XrdpConfig { security_layer: "rdp".into(), crypt_level: "none".into(), ..Default::default() });
    let o = ProbeOptions::builder().timeout(Duration::from_secs(3)).raw(true).build();
    assert!(!o.steps.session);
    let r = probe_with(x.addr, &o);
    assert!(r.session.is_none());
    assert!(r.transcript.iter().all(|e| !e.label.contains("session")));
    // An Erect Domain Request (X.224 Data + 0x04 CHOICE) never leaves the probe.
    let erect_domain = [0x03, 0x00, 0x00, 0x0c, 0x02, 0xf0, 0x80, 0x04];
    assert!(r.transcript.iter().all(|e| !e.data.bytes().starts_with(&erect_domain)), "no Erect Domain");
}

/// `--screenshot DIR/` in a scan (issue 13, scans): two xrdp servers, a web server and a closed
/// port. One PNG per RDP target named from address and port, the path in its JSON line; the
/// others get their line and no file; the scan goes on.
#[test]
fn scan_screenshots_one_png_per_rdp_target() {
    let a = xrdp(XrdpConfig { security_layer: "rdp".into(), crypt_level: "none".into(), ..Default::default() });
    let b = xrdp(XrdpConfig { security_layer: "tls".into(), crypt_level: "high".into(), ..Default::default() });
    let (web, _web) = http_server();
    let closed = closed_port();
    let dir = std::env::temp_dir().join(format!("rdp-probe-shots-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let dir_arg = format!("{}/", dir.display());
    let targets = [a.addr, b.addr, web, closed].map(|x| x.to_string());
    let out = std::process::Command::new(rdp_probe_bin())
        .args(["--json", "--timeout", "5", "--session-timeout", "3", "--screenshot", &dir_arg])
        .args(&targets)
        .output()
        .expect("run rdp-probe");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).expect("json line")).collect();
    assert_eq!(lines.len(), 4, "one line per target: {stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("the directory was made")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut want: Vec<String> = [a.addr, b.addr].iter().map(|x| format!("127.0.0.1_{}.png", x.port())).collect();
    want.sort();
    assert_eq!(files, want, "{stdout}");
    for l in &lines {
        let target = l["address"].as_str().or(l["target"].as_str()).unwrap_or_default().to_string();
        let shot = l["session"]["screenshot"].as_str();
        if target == a.addr.to_string() || target == b.addr.to_string() {
            let path = shot.unwrap_or_else(|| panic!("{target}: no screenshot path: {l}"));
            let bytes = std::fs::read(path).expect("the file named in the report");
            let (w, h, colours) = decode_png(&bytes);
            assert_eq!((w, h), (1024, 768), "{target}");
            assert!(colours.len() > 1, "{target}");
        } else {
            assert!(shot.is_none(), "{target}: {l}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
