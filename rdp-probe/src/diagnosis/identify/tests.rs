//! Identification from Windows-shaped reports built by hand, one per table row, and the lab's
//! non-Windows servers as their captured answers describe them.

use super::*;
use crate::diagnosis::findings::{analyze, Severity};
use crate::report::nla::NtlmInfo;
use crate::report::{NegotiationAttempt, NlaReport, Status, TlsReport};
use crate::steps::negotiation::assess;
use crate::steps::negotiation::tests::{att, fail, sel};

const PROBED: &str = "2026-11-30T03:00:00Z";

/// `att` with a source reference and RDP_NEG_RSP flags on every selected answer.
fn with(src: u16, flags: u8, attempts: Vec<NegotiationAttempt>) -> Vec<NegotiationAttempt> {
    attempts
        .into_iter()
        .map(|mut a| {
            a.source_ref = Some(src);
            if let Answer::Selected { flags_value, flags: names, .. } = &mut a.answer {
                *flags_value = flags;
                *names = crate::wire::x224::NegRspFlags(flags).names();
            }
            a
        })
        .collect()
}

/// A Windows listener with NLA required (SecurityLayer SSL, UserAuthentication 1).
fn windows_nla(flags: u8) -> Vec<NegotiationAttempt> {
    with(
        0x1234,
        flags,
        vec![
            att(0xb, sel(2, 0xb)),
            att(0, fail(5)),
            att(1, fail(5)),
            att(2, sel(2, 2)),
            att(4, fail(5)),
            att(8, fail(5)),
            att(0x10, fail(5)),
        ],
    )
}

/// A Windows listener without NLA (SecurityLayer Negotiate, UserAuthentication 0).
fn windows_open(flags: u8) -> Vec<NegotiationAttempt> {
    with(
        0x1234,
        flags,
        vec![att(0xb, sel(2, 0xb)), att(0, sel(0, 0)), att(1, sel(1, 1)), att(2, sel(2, 2)), att(0x10, sel(1, 0x10))],
    )
}

fn report(attempts: Vec<NegotiationAttempt>) -> Report {
    Report {
        target: "h".into(),
        status: Status::Rdp,
        negotiation: Some(assess(attempts)),
        probed_at: Some(PROBED.into()),
        ..Report::default()
    }
}

fn with_ntlm(mut r: Report, version: &str, cssp: u32) -> Report {
    r.nla = Some(NlaReport {
        credssp_version: Some(cssp),
        ntlm: Some(NtlmInfo {
            product_version: Some(version.into()),
            os_build: version.rsplit('.').next().and_then(|b| b.parse().ok()),
            ntlm_revision: Some(15),
            ..NtlmInfo::default()
        }),
        ..NlaReport::default()
    });
    r
}

/// The report as `probe()` finishes it: identification, implementation, findings.
fn finish(mut r: Report) -> Report {
    r.identification = identify(&r);
    r.implementation = r.identification.as_ref().and_then(Identification::implementation);
    r.findings = analyze(&r);
    r
}

fn id(r: &Report) -> &Identification {
    r.identification.as_ref().unwrap()
}

#[test]
fn the_table_parses_and_names_every_release() {
    let rows = parse_table(TABLE).unwrap();
    let ntlm: Vec<&Row<'_>> = rows.iter().filter(|r| r.kind == "ntlm").collect();
    for build in [
        2195, 2600, 3790, 6000, 6001, 6002, 7600, 7601, 9200, 9600, 10240, 10586, 14393, 15063, 16299, 17134, 17763,
        18362, 18363, 19041, 19042, 19043, 19044, 19045, 20348, 22000, 22621, 22631, 26100,
    ] {
        let row = ntlm.iter().find(|r| r.key.ends_with(&format!(".{build}"))).unwrap_or_else(|| panic!("{build}"));
        assert_eq!(row.min_build, Some(build));
        assert!(row.extended_end.is_some() && row.mainstream_end.is_some(), "{build}: dates");
        assert_eq!(row.family, Family::Windows);
    }
    // Keys are unique per kind.
    for (i, a) in rows.iter().enumerate() {
        assert!(!rows.iter().skip(i + 1).any(|b| a.kind == b.kind && a.key == b.key), "{} {} twice", a.kind, a.key);
    }
    let wanted = [
        ("10.0.17763", "Windows Server 2019 / Windows 10 1809", "2029-01-09"),
        ("6.1.7601", "Windows Server 2008 R2 / Windows 7 SP1", "2020-01-14"),
        ("10.0.26100", "Windows Server 2025 / Windows 11 24H2", "2034-10-10"),
        ("10.0.20348", "Windows Server 2022", "2031-10-14"),
    ];
    for (k, name, ext) in wanted {
        let row = find(&rows, "ntlm", k).unwrap();
        assert_eq!((row.name, row.extended_end), (name, Some(ext)));
    }
}

#[test]
fn table_errors_name_the_line() {
    assert_eq!(parse_table("# c\nntlm\t1.2.3\n").unwrap_err().line, 2);
    let bad_date = "ntlm\t1.2.3\twindows\tX\t-\t-\t2023-02-30\t-\t-";
    assert!(parse_table(bad_date).unwrap_err().what.contains("2023-02-30"));
    let bad_family = "ntlm\t1.2.3\tbeos\tX\t-\t-\t-\t-\t-";
    assert!(parse_table(bad_family).unwrap_err().what.contains("beos"));
    let bad_build = "ntlm\t1.2.3\twindows\tX\tten\t-\t-\t-\t-";
    assert!(parse_table(bad_build).is_err());
    assert_eq!(parse_table("").unwrap(), vec![]);
}

#[test]
fn dates() {
    assert_eq!(date_days("1970-01-01"), Some(0));
    assert_eq!(date_days("2000-03-01T00:00:00Z"), Some(11_017));
    assert_eq!(date_days("2020-01-14"), Some(18_275));
    assert_eq!(date_days("2023-02-29"), None);
    assert_eq!(date_days("2023-13-01"), None);
    assert_eq!(date_days("20-01-2023"), None);
    assert_eq!(date_days("soon"), None);
}

/// One report per NTLM row: NLA-required Windows with that version. The name, build and
/// dates come from the row, confidence high; past end of support exactly when the row says so.
#[test]
fn every_ntlm_row_names_its_release() {
    let rows = parse_table(TABLE).unwrap();
    let today = date_days(PROBED).unwrap();
    for row in rows.iter().filter(|r| r.kind == "ntlm") {
        let r = finish(with_ntlm(report(windows_nla(0x0f)), row.key, 6));
        let i = id(&r);
        assert_eq!(i.family, Family::Windows, "{}", row.key);
        assert_eq!(i.name, row.name);
        assert_eq!(r.implementation.as_deref(), Some(row.name));
        assert_eq!(i.build, row.min_build);
        let eos = i.end_of_support.as_ref().unwrap();
        assert_eq!(eos.extended.as_deref(), row.extended_end);
        assert_eq!(eos.judged_at.as_deref(), Some("2026-11-30"));
        let past = date_days(row.extended_end.unwrap()).unwrap() < today;
        assert_eq!(eos.past, Some(past), "{}", row.key);
        let eol = r.findings.iter().find(|f| f.id == "windows-end-of-life");
        assert_eq!(eol.is_some(), past, "{}: {:?}", row.key, r.findings);
        if let Some(f) = eol {
            assert_eq!(f.severity, Severity::Warning, "NLA required: {}", row.key);
        }
        // Flags 0x0f fit 7601..25398 only (Restricted Admin, KB2871997 on 7601): outside, a
        // contradiction, and never high confidence.
        let fits = (7601..=25398).contains(&row.min_build.unwrap());
        assert_eq!(i.contradictions.is_empty(), fits, "{}: {:?}", row.key, i.contradictions);
        assert_eq!(i.confidence == Confidence::High, fits, "{}", row.key);
    }
}

#[test]
fn windows_7_without_nla_is_critical_and_with_nla_a_warning() {
    let open = finish(with_ntlm(report(windows_open(0x01)), "6.1.7601", 2));
    assert_eq!(open.implementation.as_deref(), Some("Windows Server 2008 R2 / Windows 7 SP1"));
    let f = open.findings.iter().find(|f| f.id == "windows-end-of-life").unwrap();
    assert_eq!(f.severity, Severity::Critical);
    assert!(f.summary.contains("2020-01-14") && f.summary.contains("without NLA"), "{}", f.summary);
    assert!(f.evidence.contains("NTLM VERSION 6.1.7601"), "{}", f.evidence);
    assert!(id(&open).contradictions.is_empty(), "{:?}", id(&open).contradictions);
    assert!(
        id(&open).evidence.iter().any(|e| e.starts_with("CredSSP version 2: consistent")),
        "{:?}",
        id(&open).evidence
    );

    let nla = finish(with_ntlm(report(windows_nla(0x01)), "6.1.7601", 6));
    let f = nla.findings.iter().find(|f| f.id == "windows-end-of-life").unwrap();
    assert_eq!(f.severity, Severity::Warning);

    // Before the end of extended support: nothing. Without a probe date: not judged.
    let mut early = with_ntlm(report(windows_nla(0x01)), "6.1.7601", 6);
    early.probed_at = Some("2019-12-31T23:00:00Z".into());
    let early = finish(early);
    assert_eq!(id(&early).end_of_support.as_ref().unwrap().past, Some(false));
    assert!(!early.findings.iter().any(|f| f.id == "windows-end-of-life"));
    let mut undated = with_ntlm(report(windows_nla(0x01)), "6.1.7601", 6);
    undated.probed_at = None;
    let undated = finish(undated);
    assert_eq!(id(&undated).end_of_support.as_ref().unwrap().past, None);
    assert!(!undated.findings.iter().any(|f| f.id == "windows-end-of-life"));
}

#[test]
fn flags_0x3f_name_2025_and_0x1f_a_range() {
    let r = finish(report(windows_nla(0x3f)));
    assert_eq!(r.implementation.as_deref(), Some("Windows Server 2025 / Windows 11 24H2 or later"));
    assert_eq!(id(&r).confidence, Confidence::Medium);
    assert!(id(&r).end_of_support.is_none(), "no dates for a range");
    let r = finish(report(windows_nla(0x2f)));
    assert_eq!(id(&r).release.as_deref(), Some("Windows Server 2025 / Windows 11 24H2 or later"));

    // The undocumented bit has its own catalogue entry (info), only when it is set.
    let f = r.findings.iter().find(|f| f.id == "negotiation-flag-0x20").unwrap();
    assert_eq!(f.severity, Severity::Info);
    assert!(f.summary.contains("0x2f"), "{}", f.summary);
    assert!(crate::diagnosis::findings::explain("negotiation-flag-0x20").unwrap().explanation.contains("2.2.1.2.1"));

    let r = finish(report(windows_nla(0x1f)));
    assert!(!r.findings.iter().any(|f| f.id == "negotiation-flag-0x20"));
    assert_eq!(id(&r).family, Family::Windows);
    assert!(id(&r).name.starts_with("Windows Server 2016 / Windows 10 1607 .."), "{}", id(&r).name);
    assert!(!r.findings.iter().any(|f| f.id == "windows-end-of-life"));

    // With the NTLM version: consistent, high.
    let r = finish(with_ntlm(report(windows_nla(0x3f)), "10.0.26100", 6));
    assert_eq!(id(&r).name, "Windows Server 2025 / Windows 11 24H2");
    assert_eq!(id(&r).confidence, Confidence::High);
    assert!(id(&r).contradictions.is_empty());
}

/// An NTLM version against an X.224 answer: reported, not hidden.
#[test]
fn contradictions_are_reported() {
    let r = finish(with_ntlm(report(windows_nla(0x3f)), "10.0.17763", 6));
    let i = id(&r);
    assert_eq!(i.name, "Windows Server 2019 / Windows 10 1809");
    assert_eq!(i.contradictions.len(), 1, "{:?}", i.contradictions);
    assert!(i.contradictions[0].contains("0x3f") && i.contradictions[0].contains("17763"), "{:?}", i.contradictions);
    assert_eq!(i.confidence, Confidence::Medium);

    // TLS 1.3 on a Windows 7 NTLM version from a 0x1234 listener.
    let mut r = with_ntlm(report(windows_nla(0x01)), "6.1.7601", 6);
    r.tls = Some(TlsReport { version: Some(crate::report::tls::TlsVersion::Tls13), ..TlsReport::default() });
    let r = finish(r);
    assert!(id(&r).contradictions.iter().any(|c| c.starts_with("TLS 1.3")), "{:?}", id(&r).contradictions);
}

#[test]
fn legacy_cc_is_windows_2000_xp_2003_and_critical() {
    let mut a = vec![att(0xb, Answer::NoNegotiation)];
    a.push(NegotiationAttempt { with_neg_req: false, ..att(0, Answer::NoNegotiation) });
    let r = finish(report(with(0x1234, 0, a)));
    assert_eq!(r.implementation.as_deref(), Some("Windows 2000/XP/2003 (no negotiation)"));
    assert_eq!(id(&r).confidence, Confidence::Medium);
    let f = r.findings.iter().find(|f| f.id == "windows-end-of-life").unwrap();
    assert_eq!(f.severity, Severity::Critical);
    assert!(f.summary.contains("predates security negotiation"), "{}", f.summary);
    assert!(r.findings.iter().any(|f| f.id == "legacy-server"));

    // Every request with RDP_NEG_REQ dropped, only the bare fallback answered: low confidence.
    let closed = || Answer::Closed { detail: "closed".into() };
    let a = vec![
        att(0xb, closed()),
        att(0, closed()),
        NegotiationAttempt { with_neg_req: false, ..att(0, Answer::NoNegotiation) },
    ];
    let r = finish(report(with(0x1234, 0, a)));
    assert_eq!(r.implementation.as_deref(), Some("Windows 2000/XP/2003 (no negotiation)"));
    assert_eq!(id(&r).confidence, Confidence::Low);
}

/// The FreeRDP shadow at /sec:nla as the lab sees it: source reference 0, flags 0x03, NTLM
/// 6.1.7601, CredSSP 6, TLS 1.3. Never Windows 7.
#[test]
fn freerdp_is_never_windows_7() {
    let a = with(
        0,
        0x03,
        vec![att(0xb, sel(2, 0xb)), att(0, fail(5)), att(1, fail(5)), att(2, sel(2, 2)), att(0x10, fail(5))],
    );
    let mut r = with_ntlm(report(a), "6.1.7601", 6);
    r.tls = Some(TlsReport { version: Some(crate::report::tls::TlsVersion::Tls13), ..TlsReport::default() });
    let r = finish(r);
    let i = id(&r);
    assert_eq!((i.family, i.name.as_str()), (Family::FreeRdp, "FreeRDP-based server"));
    assert_eq!(r.implementation.as_deref(), Some("FreeRDP-based server"));
    assert!(i.evidence.iter().any(|e| e.contains("not the host's OS")), "{:?}", i.evidence);
    assert!(i.contradictions.is_empty(), "{:?}", i.contradictions);
    assert!(i.end_of_support.is_none() && i.release.is_none());
    assert!(!r.findings.iter().any(|f| f.id == "windows-end-of-life"));

    // Another FreeRDP's flags (0x07 is not in the table): the NTLM version with source ref 0
    // still says FreeRDP, not Windows 7.
    let a = with(0, 0x07, vec![att(0xb, sel(2, 0xb)), att(0, sel(0, 0))]);
    let r = finish(with_ntlm(report(a), "6.1.7601", 6));
    assert_eq!(id(&r).family, Family::FreeRdp);
    // FreeRDP at /sec:ext: every request refused, source ref 0.
    let a = with(0, 0, vec![att(0xb, fail(1)), att(0, fail(1)), att(1, fail(5))]);
    assert_eq!(finish(report(a)).implementation.as_deref(), Some("FreeRDP-based server"));
}

#[test]
fn xrdp_and_virtualbox() {
    // xrdp in rdp mode: everything downgraded to RDP with flags 0x01, RDSAAD -> DPU.
    let mut a = with(0x1234, 0x01, vec![att(0xb, sel(0, 0xb)), att(0, sel(0, 0)), att(1, sel(0, 1))]);
    a.push(NegotiationAttempt {
        source_ref: None,
        ..att(0x10, Answer::McsDisconnect { raw_hex: "0300000902f0802180".into() })
    });
    let r = finish(report(a));
    assert_eq!(r.implementation.as_deref(), Some("xrdp"));
    assert!(!r.findings.iter().any(|f| f.id == "windows-end-of-life"));
    assert_eq!(crate::diagnosis::fingerprint::guess_implementation(&r), Some("xrdp"));

    let a = with(0x3412, 0x01, vec![att(0xb, sel(1, 0xb)), att(0, sel(0, 0))]);
    let r = finish(report(a));
    assert_eq!((id(&r).family, r.implementation.as_deref()), (Family::VirtualBox, Some("VirtualBox VRDE")));

    // Nothing distinctive: unknown, no implementation (as before).
    let a = with(0x4242, 0x01, vec![att(0xb, sel(1, 0xb))]);
    let r = finish(report(a));
    assert_eq!((id(&r).family, r.implementation), (Family::Unknown, None));
}

#[test]
fn windows_without_ntlm_by_x224_alone() {
    // SSL_NOT_ALLOWED_BY_SERVER (SecurityLayer RDP) from a 0x1234 listener with flags 0x01.
    let a = with(0x1234, 0x01, vec![att(0xb, fail(2)), att(0, sel(0, 0)), att(1, fail(2))]);
    let r = finish(report(a));
    assert_eq!((id(&r).family, id(&r).confidence), (Family::Windows, Confidence::Low));
    assert_eq!(r.implementation.as_deref(), Some("Windows"));
}

#[cfg(feature = "serde")]
#[test]
fn json_spelling() {
    let r = finish(with_ntlm(report(windows_open(0x1f)), "10.0.14393", 6));
    let j = serde_json::to_value(&r).unwrap();
    assert_eq!(j["probed_at"], PROBED);
    let i = &j["identification"];
    assert_eq!(i["family"], "windows");
    assert_eq!(i["confidence"], "high");
    assert_eq!(i["build"], 14393);
    assert_eq!(i["end_of_support"]["extended"], "2027-01-12");
    assert_eq!(i["end_of_support"]["past"], false);
    let back: Report = serde_json::from_value(j).unwrap();
    assert_eq!(back.identification, r.identification);
}

/// The `identify` fuzz entry point over 20,000 pseudo-random inputs (xorshift, fixed seed),
/// some carrying a table row or a probe date in their tail: its oracles (no Windows dates,
/// names or end-of-life finding for a non-Windows server) hold, and nothing panics.
#[test]
fn identify_fuzz_entry_survives_a_sweep() {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut rnd = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let tails: [&[u8]; 4] = [
        b"",
        b"2010-01-01",
        b"ntlm\t1.2.3\twindows\tX\t3\t3\t2000-01-01\t2001-01-01\t-\nflags\t0x03\tfreerdp\tF\t-\t-\t-\t-\t-",
        b"9999-99-99T99:99:99Z",
    ];
    for n in 0..20_000u32 {
        let len = (rnd() % 48) as usize;
        let mut v: Vec<u8> = (0..len).map(|_| rnd() as u8).collect();
        // Favour the interesting source references and flags.
        if let Some(b) = v.get_mut(0) {
            *b = [0x12, 0, 0x34, *b][(n % 4) as usize];
        }
        v.extend_from_slice(tails[(n % 4) as usize]);
        crate::fuzzing::identify(&v);
    }
    // A Windows 7 answer with its NTLM version, in the entry point's layout.
    let mut v = vec![0x12, 0x34, 1, 0x02, 0x00, 0x02, 0x0f, 0x01, 6, 1];
    v.extend_from_slice(&7601u16.to_le_bytes());
    crate::fuzzing::identify(&v);
}

/// `nla.ntlm.os_name` comes from the table and is spelled exactly as the former table in
/// `wire::ntlm` spelled it (the JSON does not change): every one of its 32 entries.
#[test]
fn ntlm_os_name_keeps_the_former_spelling() {
    let former = [
        ("5.0.2195", "Windows 2000"),
        ("5.1.2600", "Windows XP"),
        ("5.2.3790", "Windows Server 2003 / XP x64"),
        ("6.0.6000", "Windows Vista"),
        ("6.0.6001", "Windows Vista SP1 / Server 2008"),
        ("6.0.6002", "Windows Vista SP2 / Server 2008 SP2"),
        ("6.0.6003", "Windows Server 2008 SP2 (2019+ update)"),
        ("6.1.7600", "Windows 7 / Server 2008 R2"),
        ("6.1.7601", "Windows 7 SP1 / Server 2008 R2 SP1"),
        ("6.2.9200", "Windows 8 / Server 2012"),
        ("6.3.9600", "Windows 8.1 / Server 2012 R2"),
        ("10.0.10240", "Windows 10 1507"),
        ("10.0.10586", "Windows 10 1511"),
        ("10.0.14393", "Windows 10 1607 / Server 2016"),
        ("10.0.15063", "Windows 10 1703"),
        ("10.0.16299", "Windows 10 1709 / Server 1709"),
        ("10.0.17134", "Windows 10 1803 / Server 1803"),
        ("10.0.17763", "Windows 10 1809 / Server 2019"),
        ("10.0.18362", "Windows 10 1903"),
        ("10.0.18363", "Windows 10 1909"),
        ("10.0.19041", "Windows 10 2004 / Server 2004"),
        ("10.0.19042", "Windows 10 20H2 / Server 20H2"),
        ("10.0.19043", "Windows 10 21H1"),
        ("10.0.19044", "Windows 10 21H2"),
        ("10.0.19045", "Windows 10 22H2"),
        ("10.0.20348", "Windows Server 2022"),
        ("10.0.22000", "Windows 11 21H2"),
        ("10.0.22621", "Windows 11 22H2"),
        ("10.0.22631", "Windows 11 23H2"),
        ("10.0.25398", "Windows Server 23H2"),
        ("10.0.26100", "Windows 11 24H2 / Server 2025"),
        ("10.0.26200", "Windows 11 25H2"),
    ];
    for (version, name) in former {
        assert_eq!(ntlm_os_name(version).as_deref(), Some(name), "{version}");
    }
    assert_eq!(ntlm_os_name("10.0.99999"), None);
    assert_eq!(ntlm_os_name("6.1"), None);
    // Every ntlm row has an os_name, its own spelling or the name.
    let rows = parse_table(TABLE).unwrap();
    assert_eq!(rows.iter().filter(|r| r.kind == "ntlm").count(), former.len());
}

/// GNOME Remote Desktop 43.3 (Debian 12, `gnome-remote-desktop-daemon --headless` on mutter
/// --headless, captured on loopback by tests/tests/it/gnome.rs): its X.224 answers to the whole
/// extended plan, replayed through the Exchange machine. Source reference 0, flags 0x03,
/// HYBRID_REQUIRED_BY_SERVER to everything but HYBRID (grd-session-rdp.c: RdpSecurity off, NLA
/// on), byte for byte the FreeRDP shadow's answers at /sec:nla; with winpr's NTLM VERSION
/// 6.1.7601, CredSSP 6 and TLS 1.3 it is the table's `freerdp` family, never Windows 7, and no
/// end-of-life finding.
#[test]
fn gnome_remote_desktop_is_freerdp_based() {
    use crate::steps::machine::{replay, Event};
    use crate::steps::negotiation::{answer_from, negotiation_plan, Exchange};
    let vector = |req: u32| -> Vec<u8> {
        let path = format!("{}/tests/vectors/x224/gnome-43-cc-req0x{req:02x}.bin", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    };
    let attempts: Vec<NegotiationAttempt> = negotiation_plan(true)
        .iter()
        .map(|step| {
            let cc = vector(step.requested.0);
            let out = replay(&mut Exchange::for_step(None, step), &[Event::Bytes(cc)]).output.unwrap();
            let (answer, source_ref) = answer_from(step, &out);
            NegotiationAttempt::from_step(step, answer, source_ref, 1.0)
        })
        .collect();
    assert_eq!(attempts.len(), 7);
    // The same bytes as the FreeRDP shadow's at /sec:nla: nothing in X.224 tells them apart.
    assert_eq!(vector(0x0b), include_bytes!("../../../tests/vectors/x224/shadow-nla-cc-req0x0b.bin"));
    assert_eq!(vector(0x00), include_bytes!("../../../tests/vectors/x224/shadow-nla-cc-req0x00.bin"));
    for a in &attempts {
        assert_eq!(a.source_ref, Some(0), "{a:?}");
        match (a.requested_value, &a.answer) {
            (0x0b | 0x02, Answer::Selected { protocol_value: 2, flags_value: 0x03, .. }) => {}
            (0x00 | 0x01 | 0x04 | 0x08 | 0x10, Answer::Failure { code_value: 5, .. }) => {}
            other => panic!("unexpected answer {other:?}"),
        }
    }
    let mut r = with_ntlm(report(attempts), "6.1.7601", 6);
    r.tls = Some(TlsReport { version: Some(crate::report::tls::TlsVersion::Tls13), ..TlsReport::default() });
    let r = finish(r);
    let n = r.negotiation.as_ref().unwrap();
    assert_eq!((n.source_ref, n.flags_value), (Some(0), Some(0x03)));
    assert!(n.mismatches.is_empty(), "{:?}", n.mismatches);
    assert_eq!(r.implementation.as_deref(), Some("FreeRDP-based server"));
    assert_eq!(id(&r).family, Family::FreeRdp);
    assert!(id(&r).contradictions.is_empty(), "{:?}", id(&r).contradictions);
    assert!(id(&r).evidence.iter().any(|e| e.contains("not the host's OS")), "{:?}", id(&r).evidence);
    assert!(!r.findings.iter().any(|f| f.id == "windows-end-of-life" || f.id == "negotiation-flag-0x20"));
    assert!(TABLE.contains("GNOME Remote Desktop is `freerdp`"));
}

/// Hyper-V: the table's port row names VMConnect's 2179 in the evidence; the host's 3389 is an
/// ordinary Windows listener (Hyper-V Server shares its Windows Server build and dates).
#[test]
fn hyper_v_port_and_host() {
    let mut r = report(windows_nla(0x1f));
    r.address = Some("192.0.2.7:2179".into());
    let r = finish(r);
    assert!(
        id(&r).evidence.iter().any(|e| e.starts_with("TCP port 2179: the port of Hyper-V VMConnect (vmms)")),
        "{:?}",
        id(&r).evidence
    );
    let mut r = with_ntlm(report(windows_nla(0x1f)), "10.0.17763", 6);
    r.target = "hv.example:3389".into();
    let r = finish(r);
    assert_eq!(id(&r).name, "Windows Server 2019 / Windows 10 1809");
    assert!(!id(&r).evidence.iter().any(|e| e.contains("VMConnect")));
    assert!(id(&r).contradictions.is_empty(), "{:?}", id(&r).contradictions);
}

/// Rows checked against public sources in this revision: the dates and the widened 0x0f range.
#[test]
fn verified_rows() {
    let rows = parse_table(TABLE).unwrap();
    let r = find(&rows, "ntlm", "10.0.26200").unwrap();
    assert_eq!((r.mainstream_end, r.extended_end), (Some("2028-10-10"), Some("2028-10-10")));
    let r = find(&rows, "ntlm", "10.0.19044").unwrap();
    assert_eq!((r.mainstream_end, r.extended_end), (Some("2027-01-12"), Some("2032-01-13")));
    // Restricted Admin on a KB2871997 Windows 7 / 2008 R2 SP1: 0x0f is no contradiction.
    let r = finish(with_ntlm(report(windows_nla(0x0f)), "6.1.7601", 6));
    assert!(id(&r).contradictions.is_empty(), "{:?}", id(&r).contradictions);
    // 0x1f (Remote Credential Guard) on 7601 is one.
    let r = finish(with_ntlm(report(windows_nla(0x1f)), "6.1.7601", 6));
    assert_eq!(id(&r).contradictions.len(), 1, "{:?}", id(&r).contradictions);
    let port = find(&rows, "port", "2179").unwrap();
    assert_eq!(port.family, Family::Windows);
}
