//! Report types of the tls layer (owned by the tls issue; placeholder until it lands).

/// Results of the tls step.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TlsReport {}
