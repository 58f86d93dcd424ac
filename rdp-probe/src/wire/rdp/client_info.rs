//! Client Info PDU data (MS-RDPBCGR 2.2.1.11.1): TS_INFO_PACKET and TS_EXTENDED_INFO_PACKET.
//! By default it carries no credentials, so the server shows its logon screen; user, domain
//! and password are there for later use.

use super::{utf16le, utf16le_until_nul};
use crate::wire::codec::{take_len, Ctx, DecodeError};
use crate::wire::x224::flag_set;
use nom::number::complete::{le_u16, le_u32};

flag_set! {
    /// flags of TS_INFO_PACKET (2.2.1.11.1.1).
    InfoFlags(u32) {
        /// INFO_MOUSE.
        MOUSE = 0x0000_0001, "info_mouse";
        /// INFO_DISABLECTRLALTDEL: no Ctrl+Alt+Del needed at the logon screen.
        DISABLECTRLALTDEL = 0x0000_0002, "info_disablectrlaltdel";
        /// INFO_AUTOLOGON: log on with the credentials in the packet.
        AUTOLOGON = 0x0000_0008, "info_autologon";
        /// INFO_UNICODE: strings are UTF-16LE.
        UNICODE = 0x0000_0010, "info_unicode";
        /// INFO_MAXIMIZESHELL.
        MAXIMIZESHELL = 0x0000_0020, "info_maximizeshell";
        /// INFO_LOGONNOTIFY: the client wants the Save Session Info PDU.
        LOGONNOTIFY = 0x0000_0040, "info_logonnotify";
        /// INFO_COMPRESSION: bulk compression (we never set it: we do not decompress MPPC).
        COMPRESSION = 0x0000_0080, "info_compression";
        /// INFO_ENABLEWINDOWSKEY.
        ENABLEWINDOWSKEY = 0x0000_0100, "info_enablewindowskey";
        /// INFO_REMOTECONSOLEAUDIO.
        REMOTECONSOLEAUDIO = 0x0000_2000, "info_remoteconsoleaudio";
        /// INFO_FORCE_ENCRYPTED_CS_PDU.
        FORCE_ENCRYPTED_CS_PDU = 0x0000_4000, "info_force_encrypted_cs_pdu";
        /// INFO_RAIL.
        RAIL = 0x0000_8000, "info_rail";
        /// INFO_LOGONERRORS: the client wants Save Session Info logon errors.
        LOGONERRORS = 0x0001_0000, "info_logonerrors";
        /// INFO_MOUSE_HAS_WHEEL.
        MOUSE_HAS_WHEEL = 0x0002_0000, "info_mouse_has_wheel";
        /// INFO_PASSWORD_IS_SC_PIN.
        PASSWORD_IS_SC_PIN = 0x0004_0000, "info_password_is_sc_pin";
        /// INFO_NOAUDIOPLAYBACK.
        NOAUDIOPLAYBACK = 0x0008_0000, "info_noaudioplayback";
        /// INFO_USING_SAVED_CREDS.
        USING_SAVED_CREDS = 0x0010_0000, "info_using_saved_creds";
        /// INFO_AUDIOCAPTURE.
        AUDIOCAPTURE = 0x0020_0000, "info_audiocapture";
        /// INFO_VIDEO_DISABLE.
        VIDEO_DISABLE = 0x0040_0000, "info_video_disable";
        /// INFO_HIDEF_RAIL_SUPPORTED.
        HIDEF_RAIL_SUPPORTED = 0x0200_0000, "info_hidef_rail_supported";
    }
}

/// AF_INET in clientAddressFamily.
pub const AF_INET: u16 = 0x0002;
/// AF_INET6 in clientAddressFamily.
pub const AF_INET6: u16 = 0x0017;
/// Size of TS_TIME_ZONE_INFORMATION (2.2.1.11.1.1.1).
pub const TIME_ZONE_LEN: usize = 172;
/// Longest string field we accept (the spec's largest, cbWorkingDir / cbAlternateShell, is 512).
const MAX_FIELD: usize = 1024;

/// PERF_* flags of performanceFlags (2.2.1.11.1.1.1): what a probe turns off.
pub mod perf {
    /// PERF_DISABLE_WALLPAPER.
    pub const DISABLE_WALLPAPER: u32 = 0x01;
    /// PERF_DISABLE_FULLWINDOWDRAG.
    pub const DISABLE_FULLWINDOWDRAG: u32 = 0x02;
    /// PERF_DISABLE_MENUANIMATIONS.
    pub const DISABLE_MENUANIMATIONS: u32 = 0x04;
    /// PERF_DISABLE_THEMING.
    pub const DISABLE_THEMING: u32 = 0x08;
    /// PERF_DISABLE_CURSOR_SHADOW.
    pub const DISABLE_CURSOR_SHADOW: u32 = 0x20;
    /// PERF_DISABLE_CURSORSETTINGS.
    pub const DISABLE_CURSORSETTINGS: u32 = 0x40;
    /// PERF_ENABLE_FONT_SMOOTHING.
    pub const ENABLE_FONT_SMOOTHING: u32 = 0x80;
}

/// TS_EXTENDED_INFO_PACKET (2.2.1.11.1.1.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtendedInfo {
    /// clientAddressFamily (AF_INET / AF_INET6).
    pub client_address_family: u16,
    /// clientAddress (text).
    pub client_address: String,
    /// clientDir (the client's path, mstsc sends its DLL path).
    pub client_dir: String,
    /// clientTimeZone: TS_TIME_ZONE_INFORMATION, 172 bytes as sent.
    pub client_time_zone: Vec<u8>,
    /// clientSessionId.
    pub client_session_id: u32,
    /// performanceFlags.
    pub performance_flags: u32,
    /// autoReconnectCookie (cbAutoReconnectCookie bytes).
    pub auto_reconnect_cookie: Vec<u8>,
    /// What follows (reserved1/2, dynamic DST fields), kept raw.
    pub tail: Vec<u8>,
}

/// TS_INFO_PACKET (2.2.1.11.1.1) with its extended part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientInfo {
    /// CodePage (active language identifier when INFO_UNICODE is set; 0 here).
    pub code_page: u32,
    /// flags.
    pub flags: InfoFlags,
    /// Domain.
    pub domain: String,
    /// UserName.
    pub user_name: String,
    /// Password.
    pub password: String,
    /// AlternateShell.
    pub alternate_shell: String,
    /// WorkingDir.
    pub working_dir: String,
    /// extraInfo (RDP 5.0 and later).
    pub extra: Option<ExtendedInfo>,
}

impl ClientInfo {
    /// What a stock client sends to reach the logon screen: no credentials, mouse, Unicode,
    /// logon notifications, no Ctrl+Alt+Del, no compression, visual effects off.
    pub fn logon_screen(client_address: &str) -> ClientInfo {
        let family = if client_address.contains(':') { AF_INET6 } else { AF_INET };
        ClientInfo {
            code_page: 0,
            flags: InfoFlags::MOUSE
                | InfoFlags::DISABLECTRLALTDEL
                | InfoFlags::UNICODE
                | InfoFlags::MAXIMIZESHELL
                | InfoFlags::LOGONNOTIFY
                | InfoFlags::ENABLEWINDOWSKEY
                | InfoFlags::LOGONERRORS
                | InfoFlags::MOUSE_HAS_WHEEL
                | InfoFlags::NOAUDIOPLAYBACK,
            domain: String::new(),
            user_name: String::new(),
            password: String::new(),
            alternate_shell: String::new(),
            working_dir: String::new(),
            extra: Some(ExtendedInfo {
                client_address_family: family,
                client_address: client_address.to_string(),
                client_dir: "C:\\Windows\\System32\\mstscax.dll".into(),
                client_time_zone: vec![0; TIME_ZONE_LEN],
                client_session_id: 0,
                performance_flags: perf::DISABLE_WALLPAPER
                    | perf::DISABLE_FULLWINDOWDRAG
                    | perf::DISABLE_MENUANIMATIONS
                    | perf::DISABLE_THEMING
                    | perf::DISABLE_CURSOR_SHADOW
                    | perf::DISABLE_CURSORSETTINGS,
                auto_reconnect_cookie: Vec::new(),
                tail: Vec::new(),
            }),
        }
    }

    /// Adds credentials (INFO_AUTOLOGON when a password is given).
    pub fn with_credentials(mut self, domain: &str, user: &str, password: &str) -> ClientInfo {
        self.domain = domain.into();
        self.user_name = user.into();
        self.password = password.into();
        if !password.is_empty() {
            self.flags = self.flags | InfoFlags::AUTOLOGON;
        }
        self
    }

    /// Encodes TS_INFO_PACKET (the caller puts the SEC_INFO_PKT security header in front).
    /// Strings are truncated to the spec's limits rather than refused.
    pub fn encode(&self) -> Vec<u8> {
        let fields: Vec<Vec<u8>> =
            [&self.domain, &self.user_name, &self.password, &self.alternate_shell, &self.working_dir]
                .iter()
                .map(|s| {
                    let mut b = utf16le(s);
                    b.truncate(MAX_FIELD - 2);
                    b
                })
                .collect();
        let mut out = Vec::with_capacity(512);
        out.extend_from_slice(&self.code_page.to_le_bytes());
        out.extend_from_slice(&self.flags.bits().to_le_bytes());
        for f in &fields {
            out.extend_from_slice(&(f.len() as u16).to_le_bytes());
        }
        for f in &fields {
            out.extend_from_slice(f);
            out.extend_from_slice(&[0, 0]);
        }
        if let Some(x) = &self.extra {
            for (text, with_family) in [(&x.client_address, true), (&x.client_dir, false)] {
                if with_family {
                    out.extend_from_slice(&x.client_address_family.to_le_bytes());
                }
                let mut b = utf16le(text);
                b.truncate(MAX_FIELD - 2);
                b.extend_from_slice(&[0, 0]);
                out.extend_from_slice(&(b.len() as u16).to_le_bytes());
                out.extend_from_slice(&b);
            }
            let mut tz = x.client_time_zone.clone();
            tz.resize(TIME_ZONE_LEN, 0);
            out.extend_from_slice(&tz);
            out.extend_from_slice(&x.client_session_id.to_le_bytes());
            out.extend_from_slice(&x.performance_flags.to_le_bytes());
            let cookie = x.auto_reconnect_cookie.get(..x.auto_reconnect_cookie.len().min(128)).unwrap_or_default();
            out.extend_from_slice(&(cookie.len() as u16).to_le_bytes());
            out.extend_from_slice(cookie);
            out.extend_from_slice(&x.tail);
        }
        out
    }

    /// Decodes TS_INFO_PACKET (tests, hostile-server harnesses, and re-encoding captures).
    pub fn decode(data: &[u8]) -> Result<ClientInfo, DecodeError> {
        const P: &str = "TS_INFO_PACKET";
        let (i, code_page) = le_u32(data).ctx(P, "CodePage")?;
        let (i, flags) = le_u32(i).ctx(P, "flags")?;
        let mut i = i;
        let mut lens = [0usize; 5];
        let names = ["cbDomain", "cbUserName", "cbPassword", "cbAlternateShell", "cbWorkingDir"];
        for (l, name) in lens.iter_mut().zip(names) {
            let (j, v) = le_u16(i).ctx(P, name)?;
            *l = usize::from(v) + 2;
            i = j;
        }
        let mut strings = Vec::with_capacity(5);
        for l in lens {
            let (j, s) = take_len(i, l, MAX_FIELD, P, "string")?;
            strings.push(utf16le_until_nul(s));
            i = j;
        }
        let extra = if i.is_empty() { None } else { Some(decode_extended(i)?) };
        let mut it = strings.into_iter();
        let mut next = || it.next().unwrap_or_default();
        Ok(ClientInfo {
            code_page,
            flags: InfoFlags(flags),
            domain: next(),
            user_name: next(),
            password: next(),
            alternate_shell: next(),
            working_dir: next(),
            extra,
        })
    }
}

fn decode_extended(i: &[u8]) -> Result<ExtendedInfo, DecodeError> {
    const P: &str = "TS_EXTENDED_INFO_PACKET";
    let (i, client_address_family) = le_u16(i).ctx(P, "clientAddressFamily")?;
    let (i, n) = le_u16(i).ctx(P, "cbClientAddress")?;
    let (i, addr) = take_len(i, n.into(), MAX_FIELD, P, "clientAddress")?;
    let (i, n) = le_u16(i).ctx(P, "cbClientDir")?;
    let (i, dir) = take_len(i, n.into(), MAX_FIELD, P, "clientDir")?;
    let (i, tz) = take_len(i, TIME_ZONE_LEN, TIME_ZONE_LEN, P, "clientTimeZone")?;
    let (i, client_session_id) = le_u32(i).ctx(P, "clientSessionId")?;
    let (i, performance_flags) = le_u32(i).ctx(P, "performanceFlags")?;
    let (i, n) = le_u16(i).ctx(P, "cbAutoReconnectCookie")?;
    let (i, cookie) = take_len(i, n.into(), 128, P, "autoReconnectCookie")?;
    Ok(ExtendedInfo {
        client_address_family,
        client_address: utf16le_until_nul(addr),
        client_dir: utf16le_until_nul(dir),
        client_time_zone: tz.to_vec(),
        client_session_id,
        performance_flags,
        auto_reconnect_cookie: cookie.to_vec(),
        tail: i.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logon_screen_round_trip() {
        let ci = ClientInfo::logon_screen("127.0.0.1");
        assert!(!ci.flags.contains(InfoFlags::COMPRESSION));
        assert!(!ci.flags.contains(InfoFlags::AUTOLOGON));
        let enc = ci.encode();
        // five empty strings: lengths 0, then five null terminators
        assert_eq!(&enc[8..28], &[0; 20]);
        assert_eq!(ClientInfo::decode(&enc).unwrap(), ci);
        let with = ci.with_credentials("DOM", "user", "pw");
        assert!(with.flags.contains(InfoFlags::AUTOLOGON));
        assert_eq!(ClientInfo::decode(&with.encode()).unwrap(), with);
        let enc = with.encode();
        for n in 0..enc.len() {
            let _ = ClientInfo::decode(&enc[..n]);
        }
    }

    #[test]
    fn lying_lengths() {
        let mut enc = ClientInfo::logon_screen("::1").encode();
        enc[8] = 0xff; // cbDomain
        assert!(ClientInfo::decode(&enc).is_err());
    }
}
