//! # rdp-probe
//!
//! Probe Remote Desktop (RDP) listeners from another machine: which step of a connection fails
//! and why, which security layers the server accepts, its TLS certificate, the identity in its
//! NTLM challenge, its RDP version and encryption settings, and findings with remedies.
//!
//! The layers, bottom up:
//! - [`wire`]: every PDU (TPKT, X.224, TLS records, CredSSP, NTLM, MCS, GCC) as a plain type with
//!   `encode`/`decode` over byte slices; it knows no sockets, no report and no clock.
//! - [`steps`]: the logic of each step without I/O: the negotiation plan and the reading of its
//!   answers, the certificate report, handshake signature checks.
//! - [`report`]: the typed report (the JSON contract).
//! - [`diagnosis`]: findings and their catalogue, remedies, the verdict, the fingerprint,
//!   client profiles.
//! - the async driver (private; tokio) runs the steps with a deadline on every read and write;
//!   [`mod@scan`] runs many targets.
//!
//! ## Embedding
//!
//! [`probe()`] (borrowed arguments), [`probe_owned`] (owned, for `tokio::spawn`) and
//! [`scan_with`] (many targets, bounded concurrency) are the entry points; each returns
//! [`Report`]s and never fails. They need a **tokio runtime** (any flavour; the library enables
//! only tokio's `net`, `time`, `rt`, `io-util` and `sync` features: the application brings the
//! runtime, e.g. `#[tokio::main]`). Options come from [`ProbeOptions::builder`] and
//! [`ScanOptions::builder`], whose `try_build()` refuses values that cannot work and whose
//! `build()` corrects them (see `warnings()`).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use rdp_probe::{probe, ProbeOptions, Severity, Target};
//! let opts = ProbeOptions::builder().timeout(std::time::Duration::from_secs(3)).try_build()?;
//! let target = Target::parse("127.0.0.1:3389", opts.port)?;
//! let report = probe(&target, &opts).await;
//! println!("{:?} {:?}", report.status, report.negotiation.as_ref().map(|n| &n.summary));
//! if let Some(v) = &report.verdict {
//!     println!("{}: {}", v.state, v.summary);
//! }
//! for f in report.findings.iter().filter(|f| f.severity >= Severity::Warning) {
//!     println!("{} {} {}", f.severity, f.id, f.summary);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Feature `serde` (default) derives `Serialize`/`Deserialize` on every report type (the JSON
//! contract) and pulls `serde_json`, which the findings and fingerprint also read reports with.
//!
//! The library never prints, never exits and holds no global state.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]
#![warn(missing_docs)]

pub mod diagnosis;
#[doc(hidden)]
pub mod fuzzing;
pub mod graphics;
mod net;
pub mod options;
pub mod report;
pub mod scan;
pub mod steps;
pub mod wire;

pub use diagnosis::findings::{Finding, FindingId, Severity};
pub use diagnosis::verdict::{BlockingStep, Verdict, VerdictState};
pub use net::resolver;
pub use net::resolver::Resolver;
pub use net::run::probe;
pub use options::{
    Credentials, OptionsError, ProbeOptions, ProbeOptionsBuilder, Proxy, ProxyError, Steps, DEFAULT_PORT,
};
pub use report::{NlaRequirement, Phase, ProtocolVerdict, Report, SecurityLayer, Status};
pub use scan::target::{Target, TargetError};
pub use scan::{scan, scan_with, ScanOptions, ScanOptionsBuilder};
pub use wire::codec::{DecodeError, DecodeErrorKind};
pub use wire::x224::{Cookie, FailureCode, Protocol};

/// [`probe()`] with owned arguments: the future is `Send + 'static`, so it can be spawned, and
/// one `Arc<ProbeOptions>` can serve many probes. Never fails: every outcome is a [`Report`].
/// Needs a tokio runtime.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use rdp_probe::{probe_owned, ProbeOptions, Target};
/// use std::sync::Arc;
/// let opts = Arc::new(ProbeOptions::builder().try_build()?);
/// let tasks: Vec<_> = ["rdp1.example.org", "rdp2.example.org:3390"]
///     .iter()
///     .map(|t| Target::parse(t, opts.port))
///     .collect::<Result<Vec<_>, _>>()?
///     .into_iter()
///     .map(|t| tokio::spawn(probe_owned(t, opts.clone())))
///     .collect();
/// for t in tasks {
///     let report = t.await?;
///     println!("{} {:?}", report.target, report.status);
/// }
/// # Ok(())
/// # }
/// ```
pub async fn probe_owned(target: Target, opts: std::sync::Arc<ProbeOptions>) -> Report {
    probe(&target, &opts).await
}

/// `Display` writes the JSON spelling (`dns_error`, `read_cc`, `not_supported`, ...).
mod display {
    use super::{NlaRequirement, Phase, SecurityLayer, Severity, Status};
    use std::fmt;

    impl fmt::Display for Status {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.as_str())
        }
    }

    impl fmt::Display for Phase {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.as_str())
        }
    }

    impl fmt::Display for Severity {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.as_str())
        }
    }

    impl fmt::Display for SecurityLayer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(match self {
                SecurityLayer::Rdp => "rdp",
                SecurityLayer::Negotiate => "negotiate",
                SecurityLayer::Ssl => "ssl",
                SecurityLayer::Unknown => "unknown",
            })
        }
    }

    impl fmt::Display for NlaRequirement {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(match self {
                NlaRequirement::Required => "required",
                NlaRequirement::Offered => "offered",
                NlaRequirement::NotSupported => "not_supported",
                NlaRequirement::Unknown => "unknown",
            })
        }
    }
}
