//! Diagnosis: what the facts of a [`Report`](crate::Report) mean for an admin. Reads typed report
//! fields only (never the JSON), so a build without the `serde` feature judges the same.
//!
//! [`findings`] (the catalogue, each with severity, evidence and remedy), [`remedies`] (per
//! implementation: Windows, xrdp, FreeRDP, GNOME Remote Desktop), [`verdict`] (can a stock client
//! get in, and which step stops it), [`fingerprint`] (a stable string per server behaviour),
//! [`identify`] (which implementation and Windows release, from a table of facts, with confidence),
//! [`client`] (`--client` profiles: would this client connect).

pub mod client;
pub mod findings;
pub mod fingerprint;
pub mod identify;
pub mod remedies;
pub mod verdict;
