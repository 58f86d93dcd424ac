//! # rdp-probe
//!
//! Probe Remote Desktop (RDP) listeners from another machine: which step of a connection fails
//! and why, which security layers the server accepts, its TLS certificate, the identity in its
//! NTLM challenge, its RDP version and encryption settings, and findings with remedies.
//!
//! The wire modules ([`tpkt`], [`x224`], [`tls`], [`credssp`], [`ntlm`], [`mcs`], [`gcc`]) are
//! sans-IO: plain types with `encode`/`decode` over byte slices. [`mod@probe`] holds the plan and
//! the logic that reads answers; the async driver runs it with a deadline on every step.
//!
//! ```no_run
//! # async fn demo() {
//! use rdp_probe::{probe, ProbeOptions, Target};
//! let opts = ProbeOptions::builder().timeout(std::time::Duration::from_secs(3)).build();
//! let target = Target::parse("127.0.0.1:3389", opts.port).unwrap();
//! let report = probe(&target, &opts).await;
//! println!("{:?} {:?}", report.status, report.negotiation.map(|n| n.summary));
//! # }
//! ```
//!
//! The library never prints, never exits and holds no global state.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]
#![warn(missing_docs)]

pub mod client;
pub mod codec;
pub mod credssp;
pub mod findings;
pub mod fingerprint;
#[doc(hidden)]
pub mod fuzzing;
pub mod gcc;
pub mod mcs;
mod net;
pub mod ntlm;
pub mod options;
pub mod probe;
pub mod remedies;
pub mod report;
pub mod scan;
pub mod target;
pub mod targets;
pub mod tls;
pub mod tpkt;
pub mod verdict;
pub mod x224;

pub use codec::{DecodeError, DecodeErrorKind};
pub use net::run::probe;
pub use net::{NetError, NetErrorKind};
pub use options::{Credentials, ProbeOptions, ProbeOptionsBuilder, Proxy, Steps, DEFAULT_PORT};
pub use report::{Phase, Report, Status};
pub use scan::scan;
pub use target::{Target, TargetError};
pub use verdict::{BlockingStep, Verdict, VerdictState};
