//! Report types of the nla layer (owned by the nla issue; placeholder until it lands).

/// Results of the nla step.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct NlaReport {}
