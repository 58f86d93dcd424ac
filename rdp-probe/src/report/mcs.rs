//! Report types of the mcs layer (owned by the mcs issue; placeholder until it lands).

/// Results of the mcs step.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct McsReport {}
