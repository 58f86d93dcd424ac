//! The wire layer: every PDU the probe sends or reads as a plain type with `encode`/`decode` over
//! byte slices (nom for decoding). Nothing here knows sockets, clocks or the report; lenient on
//! content (unknown codes and flags are kept), strict on lengths.
//!
//! Bottom up: [`tpkt`] (T.123 framing), [`x224`] (X.224 and RDP_NEG_*, MS-RDPBCGR 2.2.1.1-2),
//! [`tls`] (records and the server's first flight), [`credssp`] (MS-CSSP TSRequest), [`ntlm`]
//! (MS-NLMP), [`mcs`] (T.125 Connect-Initial/Response), [`gcc`] (T.124 and the TS_UD blocks).

pub mod codec;
pub mod credssp;
pub mod gcc;
pub mod mcs;
pub mod ntlm;
pub mod rdp;
pub mod tls;
pub mod tpkt;
pub mod x224;
