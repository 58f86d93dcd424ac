//! The Set Error Info PDU (MS-RDPBCGR 2.2.5.1.1): why a server is about to disconnect, with
//! the ERRINFO table of that section as a named enum. [`ErrorInfo::name`] gives the report's
//! lower-snake-case name (`rpc_initiated_disconnect`, `license_no_license_server`, ...).

use super::code_enum;
use crate::wire::codec::{Ctx, DecodeError};
use nom::number::complete::le_u32;

code_enum! {
    /// errorInfo of TS_SET_ERROR_INFO_PDU (2.2.5.1.1).
    ErrorInfo(u32) {
        /// ERRINFO_NONE: No error.
        None = 0x0000, "none";
        /// ERRINFO_RPC_INITIATED_DISCONNECT: An administrative tool on the server disconnected the session.
        RpcInitiatedDisconnect = 0x0001, "rpc_initiated_disconnect";
        /// ERRINFO_RPC_INITIATED_LOGOFF: An administrative tool on the server logged the session off.
        RpcInitiatedLogoff = 0x0002, "rpc_initiated_logoff";
        /// ERRINFO_IDLE_TIMEOUT: The idle session limit timer expired.
        IdleTimeout = 0x0003, "idle_timeout";
        /// ERRINFO_LOGON_TIMEOUT: The active session limit timer expired.
        LogonTimeout = 0x0004, "logon_timeout";
        /// ERRINFO_DISCONNECTED_BY_OTHERCONNECTION: Another user connected to the session.
        DisconnectedByOtherconnection = 0x0005, "disconnected_by_otherconnection";
        /// ERRINFO_OUT_OF_MEMORY: The server ran out of memory.
        OutOfMemory = 0x0006, "out_of_memory";
        /// ERRINFO_SERVER_DENIED_CONNECTION: The server denied the connection.
        ServerDeniedConnection = 0x0007, "server_denied_connection";
        /// ERRINFO_SERVER_INSUFFICIENT_PRIVILEGES: The user may not log on remotely.
        ServerInsufficientPrivileges = 0x0009, "server_insufficient_privileges";
        /// ERRINFO_SERVER_FRESH_CREDENTIALS_REQUIRED: The server does not accept saved credentials.
        ServerFreshCredentialsRequired = 0x000a, "server_fresh_credentials_required";
        /// ERRINFO_RPC_INITIATED_DISCONNECT_BYUSER: The user disconnected from an administrative tool.
        RpcInitiatedDisconnectByuser = 0x000b, "rpc_initiated_disconnect_byuser";
        /// ERRINFO_LOGOFF_BY_USER: The user logged off.
        LogoffByUser = 0x000c, "logoff_by_user";
        /// ERRINFO_CLOSE_STACK_ON_DRIVER_NOT_READY: The display driver was not ready in time.
        CloseStackOnDriverNotReady = 0x000f, "close_stack_on_driver_not_ready";
        /// ERRINFO_SERVER_DWM_CRASH: The Desktop Window Manager crashed.
        ServerDwmCrash = 0x0010, "server_dwm_crash";
        /// ERRINFO_CLOSE_STACK_ON_DRIVER_FAILURE: The display driver failed to start.
        CloseStackOnDriverFailure = 0x0011, "close_stack_on_driver_failure";
        /// ERRINFO_CLOSE_STACK_ON_DRIVER_IFACE_FAILURE: The display driver interface failed.
        CloseStackOnDriverIfaceFailure = 0x0012, "close_stack_on_driver_iface_failure";
        /// ERRINFO_SERVER_WINLOGON_CRASH: Winlogon crashed.
        ServerWinlogonCrash = 0x0017, "server_winlogon_crash";
        /// ERRINFO_SERVER_CSRSS_CRASH: CSRSS crashed.
        ServerCsrssCrash = 0x0018, "server_csrss_crash";
        /// ERRINFO_SERVER_SHUTDOWN: The server is shutting down.
        ServerShutdown = 0x0019, "server_shutdown";
        /// ERRINFO_SERVER_REBOOT: The server is rebooting.
        ServerReboot = 0x001a, "server_reboot";
        /// ERRINFO_LICENSE_INTERNAL: An internal licensing error.
        LicenseInternal = 0x0100, "license_internal";
        /// ERRINFO_LICENSE_NO_LICENSE_SERVER: No license server was available.
        LicenseNoLicenseServer = 0x0101, "license_no_license_server";
        /// ERRINFO_LICENSE_NO_LICENSE: No Client Access Licenses are available.
        LicenseNoLicense = 0x0102, "license_no_license";
        /// ERRINFO_LICENSE_BAD_CLIENT_MSG: The server received an invalid licensing message.
        LicenseBadClientMsg = 0x0103, "license_bad_client_msg";
        /// ERRINFO_LICENSE_HWID_DOESNT_MATCH_LICENSE: The client's license does not match its hardware id.
        LicenseHwidDoesntMatchLicense = 0x0104, "license_hwid_doesnt_match_license";
        /// ERRINFO_LICENSE_BAD_CLIENT_LICENSE: The client's license is invalid.
        LicenseBadClientLicense = 0x0105, "license_bad_client_license";
        /// ERRINFO_LICENSE_CANT_FINISH_PROTOCOL: Network problems ended the licensing protocol.
        LicenseCantFinishProtocol = 0x0106, "license_cant_finish_protocol";
        /// ERRINFO_LICENSE_CLIENT_ENDED_PROTOCOL: The client ended the licensing protocol early.
        LicenseClientEndedProtocol = 0x0107, "license_client_ended_protocol";
        /// ERRINFO_LICENSE_BAD_CLIENT_ENCRYPTION: A licensing message was encrypted wrongly.
        LicenseBadClientEncryption = 0x0108, "license_bad_client_encryption";
        /// ERRINFO_LICENSE_CANT_UPGRADE_LICENSE: The client's license could not be upgraded.
        LicenseCantUpgradeLicense = 0x0109, "license_cant_upgrade_license";
        /// ERRINFO_LICENSE_NO_REMOTE_CONNECTIONS: The server is not licensed for remote connections.
        LicenseNoRemoteConnections = 0x010a, "license_no_remote_connections";
        /// ERRINFO_CB_DESTINATION_NOT_FOUND: The target endpoint could not be found.
        CbDestinationNotFound = 0x0400, "cb_destination_not_found";
        /// ERRINFO_CB_LOADING_DESTINATION: The target endpoint is disconnecting from the broker.
        CbLoadingDestination = 0x0402, "cb_loading_destination";
        /// ERRINFO_CB_REDIRECTING_TO_DESTINATION: Redirecting to the target endpoint failed.
        CbRedirectingToDestination = 0x0404, "cb_redirecting_to_destination";
        /// ERRINFO_CB_SESSION_ONLINE_VM_WAKE: Waking the target virtual machine failed.
        CbSessionOnlineVmWake = 0x0405, "cb_session_online_vm_wake";
        /// ERRINFO_CB_SESSION_ONLINE_VM_BOOT: Booting the target virtual machine failed.
        CbSessionOnlineVmBoot = 0x0406, "cb_session_online_vm_boot";
        /// ERRINFO_CB_SESSION_ONLINE_VM_NO_DNS: The target virtual machine has no DNS name.
        CbSessionOnlineVmNoDns = 0x0407, "cb_session_online_vm_no_dns";
        /// ERRINFO_CB_DESTINATION_POOL_NOT_FREE: No free endpoint in the pool.
        CbDestinationPoolNotFree = 0x0408, "cb_destination_pool_not_free";
        /// ERRINFO_CB_CONNECTION_CANCELLED: The broker connection was cancelled.
        CbConnectionCancelled = 0x0409, "cb_connection_cancelled";
        /// ERRINFO_CB_CONNECTION_ERROR_INVALID_SETTINGS: The routing token is invalid.
        CbConnectionErrorInvalidSettings = 0x0410, "cb_connection_error_invalid_settings";
        /// ERRINFO_CB_SESSION_ONLINE_VM_BOOT_TIMEOUT: Booting the target virtual machine timed out.
        CbSessionOnlineVmBootTimeout = 0x0411, "cb_session_online_vm_boot_timeout";
        /// ERRINFO_CB_SESSION_ONLINE_VM_SESSMON_FAILED: Session monitoring on the target virtual machine failed.
        CbSessionOnlineVmSessmonFailed = 0x0412, "cb_session_online_vm_sessmon_failed";
        /// ERRINFO_UNKNOWNPDUTYPE2: Unknown pduType2 in a Data PDU.
        Unknownpdutype2 = 0x10c9, "unknownpdutype2";
        /// ERRINFO_UNKNOWNPDUTYPE: Unknown pduType in a Share Control PDU.
        Unknownpdutype = 0x10ca, "unknownpdutype";
        /// ERRINFO_DATAPDUSEQUENCE: A Data PDU arrived out of sequence.
        Datapdusequence = 0x10cb, "datapdusequence";
        /// ERRINFO_CONTROLPDUSEQUENCE: A Control PDU arrived out of sequence.
        Controlpdusequence = 0x10cd, "controlpdusequence";
        /// ERRINFO_INVALIDCONTROLPDUACTION: Invalid Control PDU action.
        Invalidcontrolpduaction = 0x10ce, "invalidcontrolpduaction";
        /// ERRINFO_INVALIDINPUTPDUTYPE: Invalid input event type.
        Invalidinputpdutype = 0x10cf, "invalidinputpdutype";
        /// ERRINFO_INVALIDINPUTPDUMOUSE: Invalid mouse event.
        Invalidinputpdumouse = 0x10d0, "invalidinputpdumouse";
        /// ERRINFO_INVALIDREFRESHRECTPDU: Invalid Refresh Rect PDU.
        Invalidrefreshrectpdu = 0x10d1, "invalidrefreshrectpdu";
        /// ERRINFO_CREATEUSERDATAFAILED: The server could not create its user data.
        Createuserdatafailed = 0x10d2, "createuserdatafailed";
        /// ERRINFO_CONNECTFAILED: Connecting to the session failed.
        Connectfailed = 0x10d3, "connectfailed";
        /// ERRINFO_CONFIRMACTIVEWRONGSHAREID: Confirm Active with the wrong shareId.
        Confirmactivewrongshareid = 0x10d4, "confirmactivewrongshareid";
        /// ERRINFO_CONFIRMACTIVEWRONGORIGINATOR: Confirm Active with the wrong originatorId.
        Confirmactivewrongoriginator = 0x10d5, "confirmactivewrongoriginator";
        /// ERRINFO_PERSISTENTKEYPDUBADLENGTH: Persistent Key List PDU too short.
        Persistentkeypdubadlength = 0x10da, "persistentkeypdubadlength";
        /// ERRINFO_PERSISTENTKEYPDUILLEGALFIRST: Persistent Key List PDU flags wrong.
        Persistentkeypduillegalfirst = 0x10db, "persistentkeypduillegalfirst";
        /// ERRINFO_PERSISTENTKEYPDUTOOMANYTOTALKEYS: Persistent Key List PDU has too many keys.
        Persistentkeypdutoomanytotalkeys = 0x10dc, "persistentkeypdutoomanytotalkeys";
        /// ERRINFO_PERSISTENTKEYPDUTOOMANYCACHEKEYS: Persistent Key List PDU has too many keys for a cache.
        Persistentkeypdutoomanycachekeys = 0x10dd, "persistentkeypdutoomanycachekeys";
        /// ERRINFO_INPUTPDUBADLENGTH: Input PDU too short.
        Inputpdubadlength = 0x10de, "inputpdubadlength";
        /// ERRINFO_BITMAPCACHEERRORPDUBADLENGTH: Bitmap Cache Error PDU too short.
        Bitmapcacheerrorpdubadlength = 0x10df, "bitmapcacheerrorpdubadlength";
        /// ERRINFO_SECURITYDATATOOSHORT: Security data too short.
        Securitydatatooshort = 0x10e0, "securitydatatooshort";
        /// ERRINFO_VCHANNELDATATOOSHORT: Virtual channel data too short.
        Vchanneldatatooshort = 0x10e1, "vchanneldatatooshort";
        /// ERRINFO_SHAREDATATOOSHORT: Share data too short.
        Sharedatatooshort = 0x10e2, "sharedatatooshort";
        /// ERRINFO_BADSUPRESSOUTPUTPDU: Bad Suppress Output PDU.
        Badsupressoutputpdu = 0x10e3, "badsupressoutputpdu";
        /// ERRINFO_CONFIRMACTIVEPDUTOOSHORT: Confirm Active PDU too short.
        Confirmactivepdutooshort = 0x10e5, "confirmactivepdutooshort";
        /// ERRINFO_CAPABILITYSETTOOSMALL: A capability set is too short.
        Capabilitysettoosmall = 0x10e7, "capabilitysettoosmall";
        /// ERRINFO_CAPABILITYSETTOOLARGE: A capability set is too long.
        Capabilitysettoolarge = 0x10e8, "capabilitysettoolarge";
        /// ERRINFO_NOCURSORCACHE: No pointer cache in the capabilities.
        Nocursorcache = 0x10e9, "nocursorcache";
        /// ERRINFO_BADCAPABILITIES: Capabilities the server cannot accept.
        Badcapabilities = 0x10ea, "badcapabilities";
        /// ERRINFO_VIRTUALCHANNELDECOMPRESSIONERR: Virtual channel decompression failed.
        Virtualchanneldecompressionerr = 0x10ec, "virtualchanneldecompressionerr";
        /// ERRINFO_INVALIDVCCOMPRESSIONTYPE: Invalid virtual channel compression type.
        Invalidvccompressiontype = 0x10ed, "invalidvccompressiontype";
        /// ERRINFO_INVALIDCHANNELID: Invalid channel id.
        Invalidchannelid = 0x10ef, "invalidchannelid";
        /// ERRINFO_VCHANNELSTOOMANY: Too many virtual channels requested.
        Vchannelstoomany = 0x10f0, "vchannelstoomany";
        /// ERRINFO_REMOTEAPPSNOTENABLED: RemoteApp is not enabled.
        Remoteappsnotenabled = 0x10f3, "remoteappsnotenabled";
        /// ERRINFO_CACHECAPNOTSET: No cache capabilities.
        Cachecapnotset = 0x10f4, "cachecapnotset";
        /// ERRINFO_BITMAPCACHEERRORPDUBADLENGTH2: Bitmap Cache Error PDU with a bad length.
        Bitmapcacheerrorpdubadlength2 = 0x10f5, "bitmapcacheerrorpdubadlength2";
        /// ERRINFO_OFFSCRCACHEERRORPDUBADLENGTH: Offscreen Cache Error PDU with a bad length.
        Offscrcacheerrorpdubadlength = 0x10f6, "offscrcacheerrorpdubadlength";
        /// ERRINFO_DNGCACHEERRORPDUBADLENGTH: DrawNineGrid Cache Error PDU with a bad length.
        Dngcacheerrorpdubadlength = 0x10f7, "dngcacheerrorpdubadlength";
        /// ERRINFO_GDIPLUSPDUBADLENGTH: GDI+ Error PDU with a bad length.
        Gdipluspdubadlength = 0x10f8, "gdipluspdubadlength";
        /// ERRINFO_SECURITYDATATOOSHORT2: Security data too short (2).
        Securitydatatooshort2 = 0x1111, "securitydatatooshort2";
        /// ERRINFO_SECURITYDATATOOSHORT3: Security data too short (3).
        Securitydatatooshort3 = 0x1112, "securitydatatooshort3";
        /// ERRINFO_SECURITYDATATOOSHORT4: Security data too short (4).
        Securitydatatooshort4 = 0x1113, "securitydatatooshort4";
        /// ERRINFO_SECURITYDATATOOSHORT5: Security data too short (5).
        Securitydatatooshort5 = 0x1114, "securitydatatooshort5";
        /// ERRINFO_SECURITYDATATOOSHORT6: Security data too short (6).
        Securitydatatooshort6 = 0x1115, "securitydatatooshort6";
        /// ERRINFO_SECURITYDATATOOSHORT7: Security data too short (7).
        Securitydatatooshort7 = 0x1116, "securitydatatooshort7";
        /// ERRINFO_SECURITYDATATOOSHORT8: Security data too short (8).
        Securitydatatooshort8 = 0x1117, "securitydatatooshort8";
        /// ERRINFO_SECURITYDATATOOSHORT9: Security data too short (9).
        Securitydatatooshort9 = 0x1118, "securitydatatooshort9";
        /// ERRINFO_SECURITYDATATOOSHORT10: Security data too short (10).
        Securitydatatooshort10 = 0x1119, "securitydatatooshort10";
        /// ERRINFO_SECURITYDATATOOSHORT11: Security data too short (11).
        Securitydatatooshort11 = 0x111a, "securitydatatooshort11";
        /// ERRINFO_SECURITYDATATOOSHORT12: Security data too short (12).
        Securitydatatooshort12 = 0x111b, "securitydatatooshort12";
        /// ERRINFO_SECURITYDATATOOSHORT13: Security data too short (13).
        Securitydatatooshort13 = 0x111c, "securitydatatooshort13";
        /// ERRINFO_SECURITYDATATOOSHORT14: Security data too short (14).
        Securitydatatooshort14 = 0x111d, "securitydatatooshort14";
        /// ERRINFO_SECURITYDATATOOSHORT15: Security data too short (15).
        Securitydatatooshort15 = 0x111e, "securitydatatooshort15";
        /// ERRINFO_SECURITYDATATOOSHORT16: Security data too short (16).
        Securitydatatooshort16 = 0x111f, "securitydatatooshort16";
        /// ERRINFO_SECURITYDATATOOSHORT17: Security data too short (17).
        Securitydatatooshort17 = 0x1120, "securitydatatooshort17";
        /// ERRINFO_SECURITYDATATOOSHORT18: Security data too short (18).
        Securitydatatooshort18 = 0x1121, "securitydatatooshort18";
        /// ERRINFO_SECURITYDATATOOSHORT19: Security data too short (19).
        Securitydatatooshort19 = 0x1122, "securitydatatooshort19";
        /// ERRINFO_SECURITYDATATOOSHORT20: Security data too short (20).
        Securitydatatooshort20 = 0x1123, "securitydatatooshort20";
        /// ERRINFO_SECURITYDATATOOSHORT21: Security data too short (21).
        Securitydatatooshort21 = 0x1124, "securitydatatooshort21";
        /// ERRINFO_SECURITYDATATOOSHORT22: Security data too short (22).
        Securitydatatooshort22 = 0x1125, "securitydatatooshort22";
        /// ERRINFO_SECURITYDATATOOSHORT23: Security data too short (23).
        Securitydatatooshort23 = 0x1126, "securitydatatooshort23";
        /// ERRINFO_BADMONITORDATA: Bad monitor data.
        Badmonitordata = 0x1129, "badmonitordata";
        /// ERRINFO_VCDECOMPRESSEDREASSEMBLEFAILED: Reassembling decompressed virtual channel data failed.
        Vcdecompressedreassemblefailed = 0x112a, "vcdecompressedreassemblefailed";
        /// ERRINFO_VCDATATOOLONG: Virtual channel data too long.
        Vcdatatoolong = 0x112b, "vcdatatoolong";
        /// ERRINFO_BAD_FRAME_ACK_DATA: Bad frame acknowledgement data.
        BadFrameAckData = 0x112c, "bad_frame_ack_data";
        /// ERRINFO_GRAPHICSMODENOTSUPPORTED: The graphics mode is not supported.
        Graphicsmodenotsupported = 0x112d, "graphicsmodenotsupported";
        /// ERRINFO_GRAPHICSSUBSYSTEMRESETFAILED: Resetting the graphics subsystem failed.
        Graphicssubsystemresetfailed = 0x112e, "graphicssubsystemresetfailed";
        /// ERRINFO_GRAPHICSSUBSYSTEMFAILED: The graphics subsystem failed.
        Graphicssubsystemfailed = 0x112f, "graphicssubsystemfailed";
        /// ERRINFO_TIMEZONEKEYNAMELENGTHTOOSHORT: Time zone key name too short.
        Timezonekeynamelengthtooshort = 0x1130, "timezonekeynamelengthtooshort";
        /// ERRINFO_TIMEZONEKEYNAMELENGTHTOOLONG: Time zone key name too long.
        Timezonekeynamelengthtoolong = 0x1131, "timezonekeynamelengthtoolong";
        /// ERRINFO_DYNAMICDSTDISABLEDFIELDMISSING: dynamicDaylightTimeDisabled missing.
        Dynamicdstdisabledfieldmissing = 0x1132, "dynamicdstdisabledfieldmissing";
        /// ERRINFO_VCDECODINGERROR: Virtual channel decoding error.
        Vcdecodingerror = 0x1133, "vcdecodingerror";
        /// ERRINFO_VIRTUALDESKTOPTOOLARGE: The virtual desktop is too large.
        Virtualdesktoptoolarge = 0x1134, "virtualdesktoptoolarge";
        /// ERRINFO_MONITORGEOMETRYVALIDATIONFAILED: Monitor geometry validation failed.
        Monitorgeometryvalidationfailed = 0x1135, "monitorgeometryvalidationfailed";
        /// ERRINFO_INVALIDMONITORCOUNT: Invalid monitor count.
        Invalidmonitorcount = 0x1136, "invalidmonitorcount";
        /// ERRINFO_UPDATESESSIONKEYFAILED: Updating the session keys failed.
        Updatesessionkeyfailed = 0x1191, "updatesessionkeyfailed";
        /// ERRINFO_DECRYPTFAILED: Decryption failed.
        Decryptfailed = 0x1192, "decryptfailed";
        /// ERRINFO_ENCRYPTFAILED: Encryption failed.
        Encryptfailed = 0x1193, "encryptfailed";
        /// ERRINFO_ENCPKGMISMATCH: Encryption package mismatch.
        Encpkgmismatch = 0x1194, "encpkgmismatch";
        /// ERRINFO_DECRYPTFAILED2: Decryption failed (2).
        Decryptfailed2 = 0x1195, "decryptfailed2";
    }
}

impl ErrorInfo {
    /// Decodes the 4-byte body of a Set Error Info PDU (after the Share Data Header).
    pub fn decode(body: &[u8]) -> Result<ErrorInfo, DecodeError> {
        let (rest, v) = le_u32(body).ctx("TS_SET_ERROR_INFO_PDU", "errorInfo")?;
        super::expect_end(rest, "TS_SET_ERROR_INFO_PDU", "errorInfo")?;
        Ok(ErrorInfo::from_value(v))
    }

    /// The class of the code (the table's headings): `protocol_independent`, `licensing`,
    /// `connection_broker`, `rdp_specific`, or `unknown`.
    pub fn class(self) -> &'static str {
        match self.value() {
            0x0000..=0x00ff => "protocol_independent",
            0x0100..=0x01ff => "licensing",
            0x0400..=0x04ff => "connection_broker",
            0x10c9..=0x1195 => "rdp_specific",
            _ => "unknown",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(ErrorInfo::from_value(1).name(), "rpc_initiated_disconnect");
        assert_eq!(ErrorInfo::from_value(0x0c).name(), "logoff_by_user");
        assert_eq!(ErrorInfo::from_value(9).name(), "server_insufficient_privileges");
        assert_eq!(ErrorInfo::from_value(7).name(), "server_denied_connection");
        assert_eq!(ErrorInfo::from_value(0x101).name(), "license_no_license_server");
        assert_eq!(ErrorInfo::from_value(0x10c9).name(), "unknownpdutype2");
        assert_eq!(ErrorInfo::from_value(0x4242).name(), "unknown_0x4242");
        assert_eq!(ErrorInfo::from_value(0x102).class(), "licensing");
        assert_eq!(ErrorInfo::decode(&[0x0a, 0x01, 0, 0]).unwrap(), ErrorInfo::LicenseNoRemoteConnections);
        assert!(ErrorInfo::decode(&[1, 0, 0]).is_err());
        assert!(ErrorInfo::decode(&[1, 0, 0, 0, 0]).is_err());
        for v in [0u32, 0x1a, 0x10a, 0x412, 0x1136, 0x1195] {
            assert_eq!(ErrorInfo::from_value(v).value(), v);
            assert!(!ErrorInfo::from_value(v).name().starts_with("unknown"), "{v:#x}");
        }
    }
}
