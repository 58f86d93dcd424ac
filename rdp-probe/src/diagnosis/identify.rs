//! Which server answered, and which release: the evidence of every step weighed against one
//! table (`rdp-probe/data/fingerprints.tsv`, compiled in), with a confidence, the facts used and
//! the facts that disagree, and Microsoft's end of support for an identified Windows release.
//!
//! Evidence: the X.224 Connection Confirm (source reference, RDP_NEG_RSP flags, an 11-byte CC
//! without negotiation data, MS-RDPBCGR 2.2.1.2), the answers to the plan's requests (xrdp's
//! Disconnect-Provider-Ultimatum, CredSSP selected), the NTLM VERSION of the CHALLENGE (MS-NLMP
//! 2.2.2.10), the CredSSP version (MS-CSSP 2.2.1), the SC_CORE version (MS-RDPBCGR 2.2.1.4.2)
//! and the highest TLS version. FreeRDP's NTLM always claims 6.1.7601, so an NTLM version alone
//! never names a Windows release: the X.224 answer must say Windows too.
//!
//! Pure: the probe date comes from the report ([`Report::probed_at`]), never from the clock.

use crate::report::tls::TlsVersion;
use crate::report::{Answer, Report};

/// The table, as shipped (`rdp-probe/data/fingerprints.tsv`).
pub const TABLE: &str = include_str!("../../data/fingerprints.tsv");

/// One row of the table (see the header of `fingerprints.tsv`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row<'a> {
    /// `ntlm`, `flags`, `srcref`, `cssp`, `core`, `tls`, `legacy`, `port`.
    pub kind: &'a str,
    /// The value matched (e.g. `10.0.17763`, `0x2f`).
    pub key: &'a str,
    /// The family the fact points to.
    pub family: Family,
    /// Name for people.
    pub name: &'a str,
    /// Smallest Windows build the fact is compatible with.
    pub min_build: Option<u32>,
    /// Largest Windows build the fact is compatible with.
    pub max_build: Option<u32>,
    /// End of mainstream support, `YYYY-MM-DD`.
    pub mainstream_end: Option<&'a str>,
    /// End of extended support (security updates), `YYYY-MM-DD`.
    pub extended_end: Option<&'a str>,
    /// Free text.
    pub note: Option<&'a str>,
    /// `ntlm` rows: the spelling of `nla.ntlm.os_name` when it differs from `name` (optional
    /// 10th column; see [`ntlm_os_name`]).
    pub os_name: Option<&'a str>,
}

/// A malformed table line: its 1-based number and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub what: String,
}

impl std::fmt::Display for TableError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "fingerprints.tsv line {}: {}", self.line, self.what)
    }
}

/// Parses the table: 9 TAB-separated columns per line (a 10th, `os_name`, is optional), `#`
/// comments, `-` for none; dates must be valid `YYYY-MM-DD`, builds numbers.
pub fn parse_table(text: &str) -> Result<Vec<Row<'_>>, TableError> {
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let err = |what: String| TableError { line: i + 1, what };
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        let (kind, key, family, name, min_b, max_b, main_end, ext_end, note, os_name) = match cols[..] {
            [k, key, f, n, a, b, m, e, note] => (k, key, f, n, a, b, m, e, note, "-"),
            [k, key, f, n, a, b, m, e, note, os] => (k, key, f, n, a, b, m, e, note, os),
            _ => return Err(err(format!("{} columns, want 9 or 10", cols.len()))),
        };
        let build = |s: &str| -> Result<Option<u32>, TableError> {
            opt(s).map(|b| b.parse::<u32>().map_err(|_| err(format!("build {b:?} is not a number")))).transpose()
        };
        let check_date = |s: Option<&str>| -> Result<(), TableError> {
            match s {
                Some(d) if date_days(d).is_none() => Err(err(format!("date {d:?} is not YYYY-MM-DD"))),
                _ => Ok(()),
            }
        };
        let family = Family::from_name(family).ok_or_else(|| err(format!("unknown family {family:?}")))?;
        if !matches!(kind, "ntlm" | "flags" | "srcref" | "cssp" | "core" | "tls" | "legacy" | "port") {
            return Err(err(format!("unknown kind {kind:?}")));
        }
        let (mainstream_end, extended_end) = (opt(main_end), opt(ext_end));
        check_date(mainstream_end)?;
        check_date(extended_end)?;
        rows.push(Row {
            kind,
            key,
            family,
            name,
            min_build: build(min_b)?,
            max_build: build(max_b)?,
            mainstream_end,
            extended_end,
            note: opt(note),
            os_name: opt(os_name),
        });
    }
    Ok(rows)
}

/// The Windows release(s) of an NTLM VERSION (`major.minor.build`, MS-NLMP 2.2.2.10) for
/// `nla.ntlm.os_name`, from the `ntlm` rows of the table: the row's `os_name` spelling, else its
/// name. `None` for builds the table does not know. The VERSION alone: a FreeRDP server's
/// 6.1.7601 is named too (the identification says what it means).
pub fn ntlm_os_name(product_version: &str) -> Option<String> {
    let rows = parse_table(TABLE).ok()?;
    let row = find(&rows, "ntlm", product_version)?;
    Some(row.os_name.unwrap_or(row.name).to_string())
}

/// A table cell: `None` for `-` or empty.
fn opt(s: &str) -> Option<&str> {
    (s != "-" && !s.is_empty()).then_some(s)
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date (the first 10 characters of an RFC 3339 time
/// are enough); `None` when it is not a valid date.
pub fn date_days(s: &str) -> Option<i64> {
    let d = s.get(..10)?;
    let mut parts = d.split('-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let day: i64 = parts.next()?.parse().ok()?;
    if d.len() != 10 || !(1..=12).contains(&m) || !(1..=31).contains(&day) {
        return None;
    }
    // Days from civil (proleptic Gregorian), H. Hinnant's algorithm.
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    // Reject 2023-02-30 and the like: the date must print back the same.
    (crate::wire::codec::rfc3339(days * 86_400).get(..10) == Some(d)).then_some(days)
}

/// Seconds since the Unix epoch of an RFC 3339 UTC time as rdp-probe writes them
/// (`YYYY-MM-DDTHH:MM:SSZ`; a bare date is midnight); `None` otherwise.
pub fn timestamp_of(s: &str) -> Option<i64> {
    let days = date_days(s)?;
    let secs = match s.get(10..) {
        None | Some("") => 0,
        Some(t) => {
            let t = t.strip_prefix('T')?.strip_suffix('Z')?;
            let mut p = t.split(':').map(|x| x.parse::<i64>().ok());
            let (h, m, sec) = (p.next()??, p.next()??, p.next()??);
            if p.next().is_some() || !(0..24).contains(&h) || !(0..60).contains(&m) || !(0..61).contains(&sec) {
                return None;
            }
            h * 3600 + m * 60 + sec
        }
    };
    Some(days * 86_400 + secs)
}

/// The implementation family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Family {
    /// Microsoft Windows Remote Desktop Services (Hyper-V Server included).
    Windows,
    /// xrdp.
    Xrdp,
    /// A server on the FreeRDP library (freerdp-shadow-cli, GNOME Remote Desktop, ...).
    #[cfg_attr(feature = "serde", serde(rename = "freerdp"))]
    FreeRdp,
    /// VirtualBox Remote Display (VRDE).
    #[cfg_attr(feature = "serde", serde(rename = "virtualbox"))]
    VirtualBox,
    /// Not enough evidence.
    #[default]
    Unknown,
}

impl Family {
    /// The table / JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Windows => "windows",
            Family::Xrdp => "xrdp",
            Family::FreeRdp => "freerdp",
            Family::VirtualBox => "virtualbox",
            Family::Unknown => "unknown",
        }
    }

    fn from_name(s: &str) -> Option<Family> {
        [Family::Windows, Family::Xrdp, Family::FreeRdp, Family::VirtualBox, Family::Unknown]
            .into_iter()
            .find(|f| f.as_str() == s)
    }

    /// The `implementation` label of a family (`None` for [`Family::Unknown`]).
    pub fn label(self) -> Option<&'static str> {
        match self {
            Family::Windows => Some("Windows"),
            Family::Xrdp => Some("xrdp"),
            Family::FreeRdp => Some("FreeRDP-based server"),
            Family::VirtualBox => Some("VirtualBox VRDE"),
            Family::Unknown => None,
        }
    }
}

/// How sure the identification is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Confidence {
    /// One weak fact, or facts that disagree.
    #[default]
    Low,
    /// One distinctive fact (e.g. RDP_NEG_RSP flags 0x2f, a legacy CC).
    Medium,
    /// Independent facts agree (e.g. the X.224 answer and the NTLM version).
    High,
}

impl Confidence {
    /// The JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

/// Microsoft's support dates of the identified release, judged at the probe date.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct EndOfSupport {
    /// End of mainstream support, `YYYY-MM-DD`.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub mainstream: Option<String>,
    /// End of extended support (the last security update), `YYYY-MM-DD`.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub extended: Option<String>,
    /// The probe date the dates were judged against (`YYYY-MM-DD`).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub judged_at: Option<String>,
    /// The release gets no security updates any more (extended end before the probe date).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub past: Option<bool>,
}

/// What the server is, with the facts for and against (`identification` in the report).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Identification {
    /// The name `implementation` carries, e.g. "Windows Server 2008 R2 / Windows 7 SP1", "xrdp".
    pub name: String,
    /// `windows`, `xrdp`, `freerdp`, `virtualbox`, `unknown`.
    pub family: Family,
    /// The release (or range of releases) when the evidence names one.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub release: Option<String>,
    /// The Windows build the NTLM VERSION gives, when it is believed.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub build: Option<u32>,
    /// `low`, `medium`, `high`.
    pub confidence: Confidence,
    /// The facts used, one line each.
    pub evidence: Vec<String>,
    /// Facts that disagree with the identification, one line each (reported, not hidden).
    pub contradictions: Vec<String>,
    /// Support dates of the release (Windows releases in the table).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub end_of_support: Option<EndOfSupport>,
}

/// The facts of a report that identification reads.
struct Facts<'r> {
    source_ref: Option<u16>,
    flags: Option<u8>,
    /// A request with RDP_NEG_REQ answered by a CC without negotiation data.
    legacy: bool,
    /// Only the fallback request without RDP_NEG_REQ got such a CC (every other was dropped).
    legacy_fallback_only: bool,
    rdsaad_dpu: bool,
    rdsaad_answered_otherwise: bool,
    all_refused: bool,
    hybrid_selected: bool,
    windows_failure_code: Option<u32>,
    plain_cr_negotiated: bool,
    ntlm: Option<&'r str>,
    cssp: Option<u32>,
    core: Option<u32>,
    tls13: bool,
}

fn facts(r: &Report) -> Option<Facts<'_>> {
    let n = r.negotiation.as_ref()?;
    let answer = |v: u32| n.attempts.iter().find(|a| a.with_neg_req && a.requested_value == v).map(|a| &a.answer);
    // RDP_NEG_RSP flags: of the full request, else of any request the server accepted (a
    // FreeRDP server at /sec:rdp refuses the full request but accepts 0x0 with flags 0x03).
    let flags = n.flags_value.or_else(|| {
        n.attempts.iter().find_map(|a| match &a.answer {
            Answer::Selected { flags_value, .. } => Some(*flags_value),
            _ => None,
        })
    });
    let tls13 = r.tls.as_ref().is_some_and(|t| {
        t.versions.get(&TlsVersion::Tls13).copied().unwrap_or(false) || t.version == Some(TlsVersion::Tls13)
    }) || r.nla.as_ref().and_then(|x| x.tls_version) == Some(TlsVersion::Tls13);
    Some(Facts {
        source_ref: n.source_ref,
        flags,
        legacy: n.attempts.iter().any(|a| a.with_neg_req && a.answer == Answer::NoNegotiation),
        legacy_fallback_only: n.legacy
            && !n.attempts.iter().any(|a| a.with_neg_req && a.answer == Answer::NoNegotiation),
        rdsaad_dpu: matches!(answer(0x10), Some(Answer::McsDisconnect { .. })),
        rdsaad_answered_otherwise: matches!(answer(0x10), Some(Answer::Selected { .. } | Answer::Failure { .. })),
        all_refused: !n.attempts.is_empty() && n.attempts.iter().all(|a| matches!(a.answer, Answer::Failure { .. })),
        hybrid_selected: n.attempts.iter().any(|a| matches!(a.answer, Answer::Selected { protocol_value: 2 | 8, .. })),
        windows_failure_code: n.attempts.iter().find_map(|a| match a.answer {
            Answer::Failure { code_value: c @ (2 | 5), .. } => Some(c),
            _ => None,
        }),
        plain_cr_negotiated: n
            .attempts
            .iter()
            .any(|a| !a.with_neg_req && matches!(a.answer, Answer::Selected { .. } | Answer::Failure { .. })),
        ntlm: r.nla.as_ref().and_then(|x| x.ntlm.as_ref()).and_then(|x| x.product_version.as_deref()),
        cssp: r.nla.as_ref().and_then(|x| x.credssp_version),
        core: r.mcs.as_ref().and_then(|m| m.version_code),
        tls13,
    })
}

fn find<'t>(rows: &'t [Row<'t>], kind: &str, key: &str) -> Option<&'t Row<'t>> {
    rows.iter().find(|r| r.kind == kind && r.key.eq_ignore_ascii_case(key))
}

/// The family the X.224 answer and the plan's answers point to (no NTLM, no TLS), and why.
fn x224_family(f: &Facts<'_>) -> (Family, Vec<String>) {
    let mut why = Vec::new();
    let family = match (f.source_ref, f.flags) {
        (Some(0x1234), _) if f.rdsaad_dpu => {
            why.push("X.224 source reference 0x1234 and an MCS Disconnect-Provider-Ultimatum to a request for RDSAAD (0x10): xrdp".into());
            Family::Xrdp
        }
        (Some(0), Some(0x03)) => {
            why.push("X.224 source reference 0 and RDP_NEG_RSP flags 0x03: FreeRDP's server".into());
            Family::FreeRdp
        }
        (Some(0), None) if f.all_refused => {
            why.push("X.224 source reference 0 and RDP_NEG_FAILURE to every request: FreeRDP's server".into());
            Family::FreeRdp
        }
        (Some(0x3412), _) => {
            why.push("X.224 source reference 0x3412 (byte-swapped 0x1234): VirtualBox VRDE".into());
            Family::VirtualBox
        }
        (Some(0x1234), Some(fl)) if fl & 0x1c != 0 => {
            why.push(format!("X.224 source reference 0x1234 with RDP_NEG_RSP flags {fl:#04x} (bits xrdp never sets)"));
            Family::Windows
        }
        (Some(0x1234) | None, _) if f.legacy || f.legacy_fallback_only => {
            why.push("an 11-byte Connection Confirm without negotiation data: a pre-negotiation Windows".into());
            Family::Windows
        }
        (Some(0x1234), _) if f.hybrid_selected => {
            why.push("X.224 source reference 0x1234 and CredSSP selected (xrdp never selects it)".into());
            Family::Windows
        }
        (Some(0x1234), _) if f.windows_failure_code.is_some() => {
            let code = if f.windows_failure_code == Some(2) {
                "SSL_NOT_ALLOWED_BY_SERVER"
            } else {
                "HYBRID_REQUIRED_BY_SERVER"
            };
            why.push(format!("X.224 source reference 0x1234 and {code} (xrdp never sends it)"));
            Family::Windows
        }
        (Some(0x1234), Some(fl)) if f.rdsaad_answered_otherwise => {
            why.push(format!(
                "X.224 source reference 0x1234, RDP_NEG_RSP flags {fl:#04x}, and a negotiation answer to RDSAAD (xrdp disconnects)"
            ));
            Family::Windows
        }
        _ => Family::Unknown,
    };
    (family, why)
}

/// The family label for `implementation` from the X.224 facts alone (the former guess).
pub(crate) fn family_of(r: &Report) -> Family {
    facts(r).map_or(Family::Unknown, |f| x224_family(&f).0)
}

fn build_of(version: &str) -> Option<u32> {
    version.rsplit('.').next()?.parse().ok()
}

fn range_text(row: &Row<'_>) -> String {
    match (row.min_build, row.max_build) {
        (Some(a), Some(b)) if a == b => format!("build {a}"),
        (Some(a), Some(b)) => format!("builds {a}..{b}"),
        (Some(a), None) => format!("build {a} or later"),
        (None, Some(b)) => format!("build {b} or earlier"),
        (None, None) => "any build".into(),
    }
}

fn compatible(row: &Row<'_>, build: u32) -> bool {
    row.min_build.is_none_or(|m| build >= m) && row.max_build.is_none_or(|m| build <= m)
}

/// Identifies the server of a report. `None` when nothing answered as RDP. The end of support
/// is judged against `r.probed_at` (not judged when the report has no time).
pub fn identify(r: &Report) -> Option<Identification> {
    identify_with(r, TABLE)
}

/// [`identify`] with another table (tests).
pub fn identify_with(r: &Report, table: &str) -> Option<Identification> {
    let f = facts(r)?;
    let rows = parse_table(table).unwrap_or_default();
    let (mut family, mut evidence) = x224_family(&f);
    let mut contradictions: Vec<String> = Vec::new();
    let mut id = Identification::default();

    // Secondary facts as table rows (what each says about a Windows build).
    let mut hints: Vec<(String, &Row<'_>)> = Vec::new();
    if let Some(fl) = f.flags {
        if let Some(row) = find(&rows, "flags", &format!("{fl:#04x}")) {
            hints.push((format!("RDP_NEG_RSP flags {fl:#04x}"), row));
        }
    }
    if f.legacy || f.legacy_fallback_only {
        if let Some(row) = find(&rows, "legacy", "cc") {
            hints.push(("an 11-byte Connection Confirm without negotiation data".into(), row));
        }
    }
    if let Some(v) = f.cssp {
        if let Some(row) = find(&rows, "cssp", &v.to_string()) {
            hints.push((format!("CredSSP version {v}"), row));
        }
    }
    if let Some(c) = f.core {
        let key = format!("{c:#010x}");
        let row = find(&rows, "core", &key).or_else(|| {
            // Every later RDP 10.x version implies at least what 10.0 does.
            (c > 0x0008_0005).then(|| find(&rows, "core", "0x00080005")).flatten()
        });
        if let Some(row) = row {
            hints.push((format!("SC_CORE version {c:#010x}"), row));
        }
    }
    if f.tls13 {
        if let Some(row) = find(&rows, "tls", "1.3") {
            hints.push(("TLS 1.3 accepted".into(), row));
        }
    }

    // The NTLM VERSION: believed for Windows only when the X.224 answer does not say otherwise.
    let ntlm_row = f.ntlm.and_then(|v| find(&rows, "ntlm", v).map(|row| (v, row)));
    match (family, f.ntlm) {
        (Family::FreeRdp, Some("6.1.7601")) => {
            evidence.push("NTLM VERSION 6.1.7601: the value FreeRDP's NTLM always sends, not the host's OS".into())
        }
        (Family::FreeRdp, Some(v)) => {
            contradictions.push(format!("NTLM VERSION {v}, where FreeRDP's NTLM always sends 6.1.7601"))
        }
        (Family::Xrdp, Some(v)) => {
            contradictions.push(format!("an NTLM CHALLENGE (version {v}), although xrdp has no CredSSP"))
        }
        (Family::VirtualBox, Some(v)) => {
            contradictions.push(format!("an NTLM CHALLENGE (version {v}) from VirtualBox VRDE"))
        }
        (Family::Unknown, Some("6.1.7601")) if f.source_ref == Some(0) || f.tls13 => {
            family = Family::FreeRdp;
            evidence.push(format!(
                "NTLM VERSION 6.1.7601 with {}: FreeRDP's fixed NTLM version, not Windows 7",
                if f.source_ref == Some(0) { "X.224 source reference 0" } else { "TLS 1.3 (Windows 7 never had it)" }
            ));
        }
        (Family::Unknown, Some(v)) if f.source_ref == Some(0x1234) && ntlm_row.is_some() => {
            family = Family::Windows;
            evidence.push(format!(
                "X.224 source reference 0x1234 and an NTLM CHALLENGE (version {v}): xrdp has no CredSSP"
            ));
        }
        _ => {}
    }
    if family == Family::FreeRdp {
        if f.plain_cr_negotiated {
            evidence.push("negotiation data in answer to a request without RDP_NEG_REQ (Windows leaves it out)".into());
        }
        if let Some(sr) = f.source_ref.filter(|s| *s != 0) {
            contradictions.push(format!("X.224 source reference {sr:#06x}, where FreeRDP sends 0"));
        }
    }

    id.family = family;
    id.name = family.label().unwrap_or_default().to_string();
    id.confidence = if family == Family::Unknown { Confidence::Low } else { Confidence::Medium };

    if family == Family::Windows {
        let build = f.ntlm.and_then(build_of);
        match ntlm_row {
            Some((v, row)) => {
                evidence.push(format!("NTLM VERSION {v}: {}", row.name));
                id.build = build;
                id.release = Some(row.name.to_string());
                id.name = row.name.to_string();
                id.confidence = Confidence::High;
                set_dates(&mut id, row, r.probed_at.as_deref());
            }
            None => {
                if let Some(v) = f.ntlm {
                    evidence.push(format!("NTLM VERSION {v}: a build the table does not know"));
                    id.build = build;
                    id.name = format!("Windows (NTLM {v})");
                }
                // The most specific release hint: the legacy CC, then the RDP_NEG_RSP flags.
                let best = hints
                    .iter()
                    .find(|(_, row)| row.kind == "legacy")
                    .or_else(|| hints.iter().find(|(_, row)| row.kind == "flags"));
                if let Some((what, row)) = best {
                    evidence.push(format!("{what}: {}", row.name));
                    id.release = Some(row.name.to_string());
                    if f.ntlm.is_none() {
                        id.name = row.name.to_string();
                    }
                    set_dates(&mut id, row, r.probed_at.as_deref());
                } else {
                    id.confidence = Confidence::Low;
                }
            }
        }
        for (what, row) in &hints {
            match id.build {
                Some(b) if !compatible(row, b) => contradictions.push(format!(
                    "{what} points to {} ({}), but the NTLM VERSION says build {b}",
                    row.name,
                    range_text(row)
                )),
                Some(_) => evidence.push(format!("{what}: consistent ({})", range_text(row))),
                None => {
                    if !evidence.iter().any(|e| e.starts_with(what.as_str())) {
                        evidence.push(format!("{what}: {}", row.name));
                    }
                }
            }
        }
        // Hints that cannot all hold at once (without an NTLM build to judge them by).
        if id.build.is_none() {
            for (i, (wa, ra)) in hints.iter().enumerate() {
                for (wb, rb) in hints.iter().skip(i + 1) {
                    let lo = ra.min_build.max(rb.min_build);
                    let hi = match (ra.max_build, rb.max_build) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                    if let (Some(lo), Some(hi)) = (lo, hi) {
                        if lo > hi {
                            contradictions.push(format!(
                                "{wa} ({}) and {wb} ({}) cannot both hold",
                                range_text(ra),
                                range_text(rb)
                            ));
                        }
                    }
                }
            }
        }
    } else if family != Family::Unknown {
        // What the secondary facts say, for the record (they describe Windows builds).
        if let Some((what, row)) = hints.iter().find(|(_, row)| row.family == family) {
            evidence.push(format!("{what}: {}", row.name));
        }
    }
    // A port with a role of its own (Hyper-V VMConnect on 2179): said, whatever answered.
    // The port: the last `:N` of the address probed (`[::1]:2179` too), else of the target.
    let port = [r.address.as_deref(), Some(r.target.as_str())]
        .into_iter()
        .flatten()
        .find_map(|a| a.rsplit_once(':').and_then(|(_, p)| p.parse::<u16>().ok()));
    if let Some((port, row)) = port.and_then(|p| find(&rows, "port", &p.to_string()).map(|row| (p, row))) {
        evidence.push(format!("TCP port {port}: the port of {} ({})", row.name, row.note.unwrap_or("-")));
    }
    if f.legacy_fallback_only && family == Family::Windows {
        evidence.push("only the fallback request without RDP_NEG_REQ was answered (the others were dropped)".into());
        id.confidence = Confidence::Low;
    }
    if !contradictions.is_empty() {
        id.confidence = id.confidence.min(Confidence::Medium);
        if contradictions.len() > 1 {
            id.confidence = Confidence::Low;
        }
    }
    evidence.dedup();
    id.evidence = evidence;
    id.contradictions = contradictions;
    Some(id)
}

impl Identification {
    /// The `implementation` string: the release name for Windows, the family label otherwise.
    pub fn implementation(&self) -> Option<String> {
        (self.family != Family::Unknown && !self.name.is_empty()).then(|| self.name.clone())
    }

    /// Whether the identified Windows release is past its end of extended support at the
    /// probe date (`false` when unknown or not Windows).
    pub fn past_end_of_support(&self) -> bool {
        self.family == Family::Windows && self.end_of_support.as_ref().and_then(|e| e.past) == Some(true)
    }
}

fn set_dates(id: &mut Identification, row: &Row<'_>, probed_at: Option<&str>) {
    if row.mainstream_end.is_none() && row.extended_end.is_none() {
        return;
    }
    let last = row.extended_end.or(row.mainstream_end);
    let today = probed_at.and_then(date_days);
    id.end_of_support = Some(EndOfSupport {
        mainstream: row.mainstream_end.map(str::to_string),
        extended: row.extended_end.map(str::to_string),
        judged_at: probed_at.and_then(|p| p.get(..10)).filter(|_| today.is_some()).map(str::to_string),
        past: match (today, last.and_then(date_days)) {
            (Some(t), Some(end)) => Some(t > end),
            _ => None,
        },
    });
}

#[cfg(test)]
mod tests;
