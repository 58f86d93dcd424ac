//! The negotiation section of the report: what each request got (MS-RDPBCGR 2.2.1.1-2) and what
//! the answers together say.

use super::{Answer, NegotiationAttempt, NlaRequirement, SecurityLayer};
use crate::wire::x224::{FailureCode, Protocol};
use std::collections::BTreeMap;
use std::fmt;

/// The answer to a request for one protocol alone, typed. JSON spells it `accepted`,
/// `downgraded_to_<protocol>`, the failure code's name (`hybrid_required_by_server`, ...),
/// `no_negotiation`, `closed` or `error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProtocolVerdict {
    /// The server selected the protocol asked for.
    Accepted,
    /// The server selected another protocol than the one asked for.
    DowngradedTo(Protocol),
    /// RDP_NEG_FAILURE with this code.
    Refused(FailureCode),
    /// A Connection Confirm without rdpNegData: a server that predates negotiation.
    NoNegotiation,
    /// The server closed, reset or disconnected without an answer.
    Closed,
    /// Timeout, undecodable or unknown answer.
    Error,
}

impl ProtocolVerdict {
    /// The verdict for a request that asked for exactly `asked`, from the server's answer.
    pub fn from_answer(answer: &Answer, asked: Protocol) -> Self {
        match answer {
            Answer::Selected { protocol_value, .. } if Protocol::from(*protocol_value) == asked => {
                ProtocolVerdict::Accepted
            }
            Answer::Selected { protocol_value, .. } => ProtocolVerdict::DowngradedTo(Protocol::from(*protocol_value)),
            Answer::Failure { code_value, .. } => ProtocolVerdict::Refused(FailureCode::from(*code_value)),
            Answer::NoNegotiation => ProtocolVerdict::NoNegotiation,
            Answer::Disconnect { .. } | Answer::McsDisconnect { .. } | Answer::Closed { .. } => ProtocolVerdict::Closed,
            Answer::UnknownNegotiation { .. } | Answer::Error { .. } => ProtocolVerdict::Error,
        }
    }

    /// Whether the server selected the protocol asked for.
    pub fn is_accepted(self) -> bool {
        self == ProtocolVerdict::Accepted
    }

    /// The JSON spelling.
    pub fn name(self) -> String {
        match self {
            ProtocolVerdict::Accepted => "accepted".into(),
            ProtocolVerdict::DowngradedTo(p) => format!("downgraded_to_{}", p.name()),
            ProtocolVerdict::Refused(c) => c.name(),
            ProtocolVerdict::NoNegotiation => "no_negotiation".into(),
            ProtocolVerdict::Closed => "closed".into(),
            ProtocolVerdict::Error => "error".into(),
        }
    }

    /// Reads the JSON spelling back; `None` for a value this version does not know.
    pub fn from_name(s: &str) -> Option<Self> {
        Some(match s {
            "accepted" => ProtocolVerdict::Accepted,
            "no_negotiation" => ProtocolVerdict::NoNegotiation,
            "closed" => ProtocolVerdict::Closed,
            "error" => ProtocolVerdict::Error,
            _ => match s.strip_prefix("downgraded_to_") {
                Some(p) => ProtocolVerdict::DowngradedTo(Protocol::from_name(p)?),
                None => ProtocolVerdict::Refused(FailureCode::from_name(s)?),
            },
        })
    }
}

impl fmt::Display for ProtocolVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.name())
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for ProtocolVerdict {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name())
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for ProtocolVerdict {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        // An unknown spelling (a newer version's) reads as an error answer rather than failing.
        Ok(ProtocolVerdict::from_name(&s).unwrap_or(ProtocolVerdict::Error))
    }
}

/// `Protocol` in JSON: its name (`ssl`, `hybrid`, `unknown_0x40`).
#[cfg(feature = "serde")]
impl serde::Serialize for Protocol {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name())
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Protocol {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Protocol::from_name(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown protocol {s:?}")))
    }
}

/// The protocols map keyed by name, in name order (the JSON of earlier versions).
#[cfg(feature = "serde")]
mod protocols_by_name {
    use super::{Protocol, ProtocolVerdict};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::collections::BTreeMap;

    pub fn serialize<S: Serializer>(m: &BTreeMap<Protocol, ProtocolVerdict>, s: S) -> Result<S::Ok, S::Error> {
        let by_name: BTreeMap<String, ProtocolVerdict> = m.iter().map(|(p, v)| (p.name(), *v)).collect();
        by_name.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<Protocol, ProtocolVerdict>, D::Error> {
        let by_name = BTreeMap::<String, ProtocolVerdict>::deserialize(d)?;
        Ok(by_name.into_iter().filter_map(|(k, v)| Some((Protocol::from_name(&k)?, v))).collect())
    }
}

impl NegotiationReport {
    /// The verdict for a request for `p` alone, when one was sent and answered.
    pub fn verdict(&self, p: Protocol) -> Option<ProtocolVerdict> {
        self.protocols.get(&p).copied()
    }

    /// The protocols map as JSON spells it: protocol name -> verdict name, in name order.
    pub fn protocols_by_name(&self) -> BTreeMap<String, String> {
        self.protocols.iter().map(|(p, v)| (p.name(), v.name())).collect()
    }

    /// Whether a request for `p` alone was accepted.
    pub fn accepted(&self, p: Protocol) -> bool {
        self.verdict(p).is_some_and(ProtocolVerdict::is_accepted)
    }
}

/// Security-protocol negotiation: the plan's answers and what they mean.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct NegotiationReport {
    /// Each protocol asked for alone -> the server's answer. JSON: an object keyed by protocol
    /// name (`rdp`, `ssl`, `hybrid`, `hybrid_ex`, `rdstls`, `rdsaad`) in name order, values as
    /// [`ProtocolVerdict`] spells them.
    #[cfg_attr(feature = "serde", serde(with = "protocols_by_name"))]
    pub protocols: BTreeMap<Protocol, ProtocolVerdict>,
    /// Protocol the server selected for the full request (SSL|HYBRID|HYBRID_EX).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub selected: Option<Protocol>,
    /// RDP_NEG_RSP flags of the full request, by name.
    pub flags: Vec<String>,
    /// Inferred Security Layer setting.
    pub security_layer: Option<SecurityLayer>,
    /// Inferred NLA requirement.
    pub nla: Option<NlaRequirement>,
    /// The server answered a CC without rdpNegData (pre-negotiation server).
    pub legacy: bool,
    /// X.224 SRC-REF of the first CC (Windows 0x1234, xrdp 0, VirtualBox 0x3412).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub source_ref: Option<u16>,
    /// RDP_NEG_RSP flags of the full request, raw.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none", default))]
    pub flags_value: Option<u8>,
    /// Requests whose selected protocol was not among those requested, by requested value.
    pub mismatches: Vec<String>,
    /// Every connection of the plan, in order.
    pub attempts: Vec<NegotiationAttempt>,
    /// Plain-language summary of the configuration.
    pub summary: String,
}
