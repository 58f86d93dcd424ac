//! Capability sets (MS-RDPBCGR 2.2.7, and MS-RDPEGDI for Order-related ones), as carried by the
//! Demand Active and Confirm Active PDUs.
//!
//! A set is kept as it came, `(type, raw bytes)`, so re-encoding is exact and nothing a server
//! sends is lost; [`CapabilitySet::parsed`] gives the typed view of the sets the report needs,
//! and the typed structs build the sets a client sends ([`minimal_client_sets`]).

use super::code_enum;
use crate::wire::codec::{take_len, Ctx, DecodeError};
use crate::wire::x224::flag_set;
use nom::number::complete::le_u16;

code_enum! {
    /// capabilitySetType (2.2.1.13.1.1.1).
    CapabilityType(u16) {
        /// CAPSTYPE_GENERAL.
        General = 0x0001, "general";
        /// CAPSTYPE_BITMAP.
        Bitmap = 0x0002, "bitmap";
        /// CAPSTYPE_ORDER.
        Order = 0x0003, "order";
        /// CAPSTYPE_BITMAPCACHE (revision 1).
        BitmapCache = 0x0004, "bitmap_cache";
        /// CAPSTYPE_CONTROL.
        Control = 0x0005, "control";
        /// CAPSTYPE_ACTIVATION.
        Activation = 0x0007, "activation";
        /// CAPSTYPE_POINTER.
        Pointer = 0x0008, "pointer";
        /// CAPSTYPE_SHARE.
        Share = 0x0009, "share";
        /// CAPSTYPE_COLORCACHE.
        ColorCache = 0x000a, "color_cache";
        /// CAPSTYPE_SOUND.
        Sound = 0x000c, "sound";
        /// CAPSTYPE_INPUT.
        Input = 0x000d, "input";
        /// CAPSTYPE_FONT.
        Font = 0x000e, "font";
        /// CAPSTYPE_BRUSH.
        Brush = 0x000f, "brush";
        /// CAPSTYPE_GLYPHCACHE.
        GlyphCache = 0x0010, "glyph_cache";
        /// CAPSTYPE_OFFSCREENCACHE.
        OffscreenCache = 0x0011, "offscreen_cache";
        /// CAPSTYPE_BITMAPCACHE_HOSTSUPPORT.
        BitmapCacheHostSupport = 0x0012, "bitmap_cache_host_support";
        /// CAPSTYPE_BITMAPCACHE_REV2.
        BitmapCacheRev2 = 0x0013, "bitmap_cache_rev2";
        /// CAPSTYPE_VIRTUALCHANNEL.
        VirtualChannel = 0x0014, "virtual_channel";
        /// CAPSTYPE_DRAWNINEGRIDCACHE.
        DrawNineGridCache = 0x0015, "draw_nine_grid_cache";
        /// CAPSTYPE_DRAWGDIPLUS.
        DrawGdiPlus = 0x0016, "draw_gdi_plus";
        /// CAPSTYPE_RAIL.
        Rail = 0x0017, "rail";
        /// CAPSTYPE_WINDOW.
        Window = 0x0018, "window";
        /// CAPSETTYPE_COMPDESK.
        CompDesk = 0x0019, "comp_desk";
        /// CAPSETTYPE_MULTIFRAGMENTUPDATE.
        MultifragmentUpdate = 0x001a, "multifragment_update";
        /// CAPSETTYPE_LARGE_POINTER.
        LargePointer = 0x001b, "large_pointer";
        /// CAPSETTYPE_SURFACE_COMMANDS.
        SurfaceCommands = 0x001c, "surface_commands";
        /// CAPSETTYPE_BITMAP_CODECS.
        BitmapCodecs = 0x001d, "bitmap_codecs";
        /// CAPSSETTYPE_FRAME_ACKNOWLEDGE.
        FrameAcknowledge = 0x001e, "frame_acknowledge";
    }
}

const P: &str = "TS_CAPS_SET";
/// Most capability sets we accept in one PDU.
pub const MAX_CAPABILITY_SETS: usize = 64;

/// One capability set, as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapabilitySet {
    /// capabilitySetType.
    pub cap_type: CapabilityType,
    /// The bytes after the 4-byte header (lengthCapability - 4).
    pub data: Vec<u8>,
}

impl CapabilitySet {
    /// Decodes `count` sets filling `data` exactly (lengthCombinedCapabilities minus 4).
    pub fn decode_all(data: &[u8], count: usize) -> Result<Vec<CapabilitySet>, DecodeError> {
        if count > MAX_CAPABILITY_SETS || count.saturating_mul(4) > data.len() {
            return Err(DecodeError::length(P, "numberCapabilities", count, MAX_CAPABILITY_SETS.min(data.len() / 4)));
        }
        let mut out = Vec::with_capacity(count);
        let mut i = data;
        for _ in 0..count {
            let (j, t) = le_u16(i).ctx(P, "capabilitySetType")?;
            let (j, len) = le_u16(j).ctx(P, "lengthCapability")?;
            let n = usize::from(len).checked_sub(4).ok_or(DecodeError::length(P, "lengthCapability", len.into(), 4))?;
            let (j, body) = take_len(j, n, usize::from(u16::MAX), P, "capabilityData")?;
            out.push(CapabilitySet { cap_type: CapabilityType::from_value(t), data: body.to_vec() });
            i = j;
        }
        // lenient: mstsc and xrdp end exactly; extra bytes are tolerated but not kept
        Ok(out)
    }

    /// Appends header and data.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.cap_type.value().to_le_bytes());
        out.extend_from_slice(&((self.data.len() + 4).min(usize::from(u16::MAX)) as u16).to_le_bytes());
        out.extend_from_slice(&self.data);
    }

    /// The typed view of the sets the report reads; `None` for other types or sets too short.
    pub fn parsed(&self) -> Option<Capability> {
        let d = &self.data;
        let mut r = Rd(d);
        Some(match self.cap_type {
            CapabilityType::General => Capability::General(GeneralCapability {
                os_major_type: r.u16()?,
                os_minor_type: r.u16()?,
                protocol_version: r.u16()?,
                compression_types: {
                    r.u16()?;
                    r.u16()?
                },
                extra_flags: ExtraFlags(r.u16()?),
                update_capability_flag: r.u16()?,
                remote_unshare_flag: r.u16()?,
                compression_level: r.u16()?,
                refresh_rect_support: r.u8().unwrap_or(0),
                suppress_output_support: r.u8().unwrap_or(0),
            }),
            CapabilityType::Bitmap => Capability::Bitmap(BitmapCapability {
                preferred_bits_per_pixel: r.u16()?,
                receive1_bit_per_pixel: r.u16()?,
                receive4_bits_per_pixel: r.u16()?,
                receive8_bits_per_pixel: r.u16()?,
                desktop_width: r.u16()?,
                desktop_height: r.u16()?,
                desktop_resize_flag: {
                    r.u16()?;
                    r.u16()?
                },
                bitmap_compression_flag: r.u16()?,
                high_color_flags: r.u8()?,
                drawing_flags: r.u8()?,
                multiple_rectangle_support: r.u16()?,
            }),
            CapabilityType::Order => {
                r.skip(16 + 4 + 2 + 2 + 2)?;
                let maximum_order_level = r.u16()?;
                let number_fonts = r.u16()?;
                let order_flags = r.u16()?;
                let mut order_support = [0u8; 32];
                order_support.copy_from_slice(r.bytes(32)?);
                let text_flags = r.u16()?;
                let order_support_ex_flags = r.u16()?;
                r.skip(4)?;
                let desktop_save_size = r.u32()?;
                r.skip(4)?;
                let text_ansi_code_page = r.u16()?;
                Capability::Order(OrderCapability {
                    maximum_order_level,
                    number_fonts,
                    order_flags,
                    order_support,
                    text_flags,
                    order_support_ex_flags,
                    desktop_save_size,
                    text_ansi_code_page,
                })
            }
            CapabilityType::Pointer => Capability::Pointer {
                color_pointer_flag: r.u16()?,
                color_pointer_cache_size: r.u16()?,
                pointer_cache_size: r.u16(),
            },
            CapabilityType::Input => Capability::Input {
                input_flags: InputFlags(r.u16()?),
                keyboard_layout: {
                    r.u16()?;
                    r.u32()?
                },
                keyboard_type: r.u32()?,
                keyboard_sub_type: r.u32()?,
                keyboard_function_key: r.u32()?,
            },
            CapabilityType::VirtualChannel => Capability::VirtualChannel { flags: r.u32()?, chunk_size: r.u32() },
            CapabilityType::MultifragmentUpdate => Capability::MultifragmentUpdate { max_request_size: r.u32()? },
            CapabilityType::LargePointer => Capability::LargePointer { support_flags: r.u16()? },
            CapabilityType::SurfaceCommands => Capability::SurfaceCommands { cmd_flags: r.u32()? },
            CapabilityType::Share => Capability::Share { node_id: r.u16()? },
            CapabilityType::Font => Capability::Font { support_flags: r.u16() },
            CapabilityType::ColorCache => Capability::ColorCache { table_cache_size: r.u16()? },
            CapabilityType::BitmapCodecs => {
                let n = r.u8()?;
                let mut codecs = Vec::with_capacity(usize::from(n).min(d.len() / 19));
                for _ in 0..n {
                    let mut guid = [0u8; 16];
                    guid.copy_from_slice(r.bytes(16)?);
                    let codec_id = r.u8()?;
                    let len = r.u16()?;
                    let properties = r.bytes(len.into())?.to_vec();
                    codecs.push(BitmapCodec { guid, codec_id, properties });
                }
                Capability::BitmapCodecs(codecs)
            }
            _ => return None,
        })
    }
}

/// A tiny little-endian reader for the typed views: `None` when short.
struct Rd<'a>(&'a [u8]);

impl<'a> Rd<'a> {
    fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let b = self.0.get(..n)?;
        self.0 = self.0.get(n..)?;
        Some(b)
    }
    fn skip(&mut self, n: usize) -> Option<()> {
        self.bytes(n).map(|_| ())
    }
    fn u8(&mut self) -> Option<u8> {
        self.bytes(1)?.first().copied()
    }
    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes(self.bytes(2)?.try_into().ok()?))
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.bytes(4)?.try_into().ok()?))
    }
}

flag_set! {
    /// extraFlags of the General Capability Set (2.2.7.1.1).
    ExtraFlags(u16) {
        /// FASTPATH_OUTPUT_SUPPORTED.
        FASTPATH_OUTPUT_SUPPORTED = 0x0001, "fastpath_output_supported";
        /// LONG_CREDENTIALS_SUPPORTED.
        LONG_CREDENTIALS_SUPPORTED = 0x0004, "long_credentials_supported";
        /// AUTORECONNECT_SUPPORTED.
        AUTORECONNECT_SUPPORTED = 0x0008, "autoreconnect_supported";
        /// ENC_SALTED_CHECKSUM: salted MACs (5.3.6.1.2).
        ENC_SALTED_CHECKSUM = 0x0010, "enc_salted_checksum";
        /// NO_BITMAP_COMPRESSION_HDR.
        NO_BITMAP_COMPRESSION_HDR = 0x0400, "no_bitmap_compression_hdr";
    }
}

flag_set! {
    /// inputFlags of the Input Capability Set (2.2.7.1.6).
    InputFlags(u16) {
        /// INPUT_FLAG_SCANCODES.
        SCANCODES = 0x0001, "input_flag_scancodes";
        /// INPUT_FLAG_MOUSEX.
        MOUSEX = 0x0004, "input_flag_mousex";
        /// INPUT_FLAG_FASTPATH_INPUT.
        FASTPATH_INPUT = 0x0008, "input_flag_fastpath_input";
        /// INPUT_FLAG_UNICODE.
        UNICODE = 0x0010, "input_flag_unicode";
        /// INPUT_FLAG_FASTPATH_INPUT2.
        FASTPATH_INPUT2 = 0x0020, "input_flag_fastpath_input2";
        /// INPUT_FLAG_UNUSED1.
        UNUSED1 = 0x0040, "input_flag_unused1";
        /// INPUT_FLAG_MOUSE_RELATIVE.
        MOUSE_RELATIVE = 0x0080, "input_flag_mouse_relative";
        /// TS_INPUT_FLAG_MOUSE_HWHEEL.
        MOUSE_HWHEEL = 0x0100, "input_flag_mouse_hwheel";
        /// TS_INPUT_FLAG_QOE_TIMESTAMPS.
        QOE_TIMESTAMPS = 0x0200, "input_flag_qoe_timestamps";
    }
}

/// osMajorType name (2.2.7.1.1).
pub fn os_major_type_name(v: u16) -> String {
    match v {
        0 => "unspecified".into(),
        1 => "windows".into(),
        2 => "os2".into(),
        3 => "macintosh".into(),
        4 => "unix".into(),
        5 => "ios".into(),
        6 => "osx".into(),
        7 => "android".into(),
        8 => "chrome_os".into(),
        v => format!("unknown_{v:#x}"),
    }
}

/// osMinorType name (2.2.7.1.1).
pub fn os_minor_type_name(v: u16) -> String {
    match v {
        0 => "unspecified".into(),
        1 => "windows_31x".into(),
        2 => "windows_95".into(),
        3 => "windows_nt".into(),
        4 => "os2_v21".into(),
        5 => "power_pc".into(),
        6 => "macintosh".into(),
        7 => "native_xserver".into(),
        8 => "pseudo_xserver".into(),
        9 => "windows_rt".into(),
        v => format!("unknown_{v:#x}"),
    }
}

/// General Capability Set (2.2.7.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GeneralCapability {
    /// osMajorType.
    pub os_major_type: u16,
    /// osMinorType.
    pub os_minor_type: u16,
    /// protocolVersion (TS_CAPS_PROTOCOLVERSION, 0x0200).
    pub protocol_version: u16,
    /// generalCompressionTypes (0).
    pub compression_types: u16,
    /// extraFlags.
    pub extra_flags: ExtraFlags,
    /// updateCapabilityFlag (0).
    pub update_capability_flag: u16,
    /// remoteUnshareFlag (0).
    pub remote_unshare_flag: u16,
    /// generalCompressionLevel (0).
    pub compression_level: u16,
    /// refreshRectSupport.
    pub refresh_rect_support: u8,
    /// suppressOutputSupport.
    pub suppress_output_support: u8,
}

impl GeneralCapability {
    /// The set.
    pub fn to_set(&self) -> CapabilitySet {
        let mut d = Vec::with_capacity(20);
        for v in [
            self.os_major_type,
            self.os_minor_type,
            self.protocol_version,
            0,
            self.compression_types,
            self.extra_flags.bits(),
        ] {
            d.extend_from_slice(&v.to_le_bytes());
        }
        for v in [self.update_capability_flag, self.remote_unshare_flag, self.compression_level] {
            d.extend_from_slice(&v.to_le_bytes());
        }
        d.extend_from_slice(&[self.refresh_rect_support, self.suppress_output_support]);
        CapabilitySet { cap_type: CapabilityType::General, data: d }
    }
}

/// Bitmap Capability Set (2.2.7.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BitmapCapability {
    /// preferredBitsPerPixel.
    pub preferred_bits_per_pixel: u16,
    /// receive1BitPerPixel.
    pub receive1_bit_per_pixel: u16,
    /// receive4BitsPerPixel.
    pub receive4_bits_per_pixel: u16,
    /// receive8BitsPerPixel.
    pub receive8_bits_per_pixel: u16,
    /// desktopWidth.
    pub desktop_width: u16,
    /// desktopHeight.
    pub desktop_height: u16,
    /// desktopResizeFlag.
    pub desktop_resize_flag: u16,
    /// bitmapCompressionFlag (must be 1).
    pub bitmap_compression_flag: u16,
    /// highColorFlags (0).
    pub high_color_flags: u8,
    /// drawingFlags (DRAW_ALLOW_* of 2.2.7.1.2).
    pub drawing_flags: u8,
    /// multipleRectangleSupport (must be 1).
    pub multiple_rectangle_support: u16,
}

/// DRAW_ALLOW_SKIP_ALPHA: the server may drop the alpha plane of 32 bpp planar bitmaps.
pub const DRAW_ALLOW_SKIP_ALPHA: u8 = 0x08;

impl BitmapCapability {
    /// The set.
    pub fn to_set(&self) -> CapabilitySet {
        let mut d = Vec::with_capacity(24);
        for v in [
            self.preferred_bits_per_pixel,
            self.receive1_bit_per_pixel,
            self.receive4_bits_per_pixel,
            self.receive8_bits_per_pixel,
            self.desktop_width,
            self.desktop_height,
            0,
            self.desktop_resize_flag,
            self.bitmap_compression_flag,
        ] {
            d.extend_from_slice(&v.to_le_bytes());
        }
        d.extend_from_slice(&[self.high_color_flags, self.drawing_flags]);
        d.extend_from_slice(&self.multiple_rectangle_support.to_le_bytes());
        d.extend_from_slice(&[0, 0]);
        CapabilitySet { cap_type: CapabilityType::Bitmap, data: d }
    }
}

/// Order Capability Set (2.2.7.1.3), the fields that carry meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderCapability {
    /// maximumOrderLevel (ORD_LEVEL_1_ORDERS).
    pub maximum_order_level: u16,
    /// numberFonts.
    pub number_fonts: u16,
    /// orderFlags.
    pub order_flags: u16,
    /// orderSupport: one byte per drawing order (all zero: we accept none).
    pub order_support: [u8; 32],
    /// textFlags.
    pub text_flags: u16,
    /// orderSupportExFlags.
    pub order_support_ex_flags: u16,
    /// desktopSaveSize.
    pub desktop_save_size: u32,
    /// textANSICodePage.
    pub text_ansi_code_page: u16,
}

/// NEGOTIATEORDERSUPPORT | ZEROBOUNDSDELTASSUPPORT | COLORINDEXSUPPORT (2.2.7.1.3).
pub const ORDER_FLAGS_DEFAULT: u16 = 0x0002 | 0x0008 | 0x0020;

impl OrderCapability {
    /// The set (88 bytes with its header).
    pub fn to_set(&self) -> CapabilitySet {
        let mut d = Vec::with_capacity(84);
        d.extend_from_slice(&[0; 16 + 4]);
        for v in [1u16, 20, 0, self.maximum_order_level, self.number_fonts, self.order_flags] {
            d.extend_from_slice(&v.to_le_bytes());
        }
        d.extend_from_slice(&self.order_support);
        d.extend_from_slice(&self.text_flags.to_le_bytes());
        d.extend_from_slice(&self.order_support_ex_flags.to_le_bytes());
        d.extend_from_slice(&[0; 4]);
        d.extend_from_slice(&self.desktop_save_size.to_le_bytes());
        d.extend_from_slice(&[0; 4]);
        d.extend_from_slice(&self.text_ansi_code_page.to_le_bytes());
        d.extend_from_slice(&[0; 2]);
        CapabilitySet { cap_type: CapabilityType::Order, data: d }
    }
}

/// TS_BITMAPCODEC (2.2.7.2.10.1.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BitmapCodec {
    /// codecGUID as sent (little-endian GUID layout).
    pub guid: [u8; 16],
    /// codecID.
    pub codec_id: u8,
    /// codecProperties.
    pub properties: Vec<u8>,
}

impl BitmapCodec {
    /// The GUID in its text form, `{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}` without braces.
    pub fn guid_text(&self) -> String {
        let g = &self.guid;
        let d1 = u32::from_le_bytes([g[0], g[1], g[2], g[3]]);
        let d2 = u16::from_le_bytes([g[4], g[5]]);
        let d3 = u16::from_le_bytes([g[6], g[7]]);
        let tail = crate::wire::codec::hex(g.get(8..).unwrap_or_default()).to_uppercase();
        format!(
            "{d1:08X}-{d2:04X}-{d3:04X}-{}-{}",
            tail.get(..4).unwrap_or_default(),
            tail.get(4..).unwrap_or_default()
        )
    }

    /// The codec's name: `nscodec`, `remotefx`, `image_remotefx`, `ignore`, `jpeg` (xrdp's),
    /// or the GUID text.
    pub fn name(&self) -> String {
        let t = self.guid_text();
        match t.as_str() {
            "CA8D1BB9-000F-154F-589F-AE2D1A87E2D6" => "nscodec".into(),
            "76772F12-BD72-4463-AFB3-B73C9C6F7886" => "remotefx".into(),
            "2744CCD4-9D8A-4E74-803C-0ECBEEA19C54" => "image_remotefx".into(),
            "9C4351A6-3535-42AE-910C-CDFCE5760B58" => "ignore".into(),
            "1BAF4CE6-9EED-430C-869A-CB8B37B66237" => "jpeg".into(),
            _ => t,
        }
    }
}

/// Typed view of a capability set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Capability {
    /// General.
    General(GeneralCapability),
    /// Bitmap.
    Bitmap(BitmapCapability),
    /// Order.
    Order(OrderCapability),
    /// Pointer (2.2.7.1.5).
    Pointer {
        /// colorPointerFlag.
        color_pointer_flag: u16,
        /// colorPointerCacheSize.
        color_pointer_cache_size: u16,
        /// pointerCacheSize (optional field).
        pointer_cache_size: Option<u16>,
    },
    /// Input (2.2.7.1.6).
    Input {
        /// inputFlags.
        input_flags: InputFlags,
        /// keyboardLayout.
        keyboard_layout: u32,
        /// keyboardType.
        keyboard_type: u32,
        /// keyboardSubType.
        keyboard_sub_type: u32,
        /// keyboardFunctionKey.
        keyboard_function_key: u32,
    },
    /// Virtual Channel (2.2.7.1.10).
    VirtualChannel {
        /// flags (VCCAPS_COMPR_SC, VCCAPS_COMPR_CS_8K).
        flags: u32,
        /// VCChunkSize (optional field).
        chunk_size: Option<u32>,
    },
    /// Multifragment Update (2.2.7.2.6).
    MultifragmentUpdate {
        /// MaxRequestSize.
        max_request_size: u32,
    },
    /// Large Pointer (2.2.7.2.7).
    LargePointer {
        /// largePointerSupportFlags.
        support_flags: u16,
    },
    /// Surface Commands (2.2.7.2.9).
    SurfaceCommands {
        /// cmdFlags.
        cmd_flags: u32,
    },
    /// Share (2.2.7.2.4).
    Share {
        /// nodeId (the server's MCS channel id).
        node_id: u16,
    },
    /// Font (2.2.7.2.5): xrdp sends the set empty.
    Font {
        /// fontSupportFlags.
        support_flags: Option<u16>,
    },
    /// Color Table Cache (MS-RDPEGDI 2.2.1.1).
    ColorCache {
        /// colorTableCacheSize.
        table_cache_size: u16,
    },
    /// Bitmap Codecs (2.2.7.2.10).
    BitmapCodecs(Vec<BitmapCodec>),
}

fn raw(t: CapabilityType, fields: &[&[u8]]) -> CapabilitySet {
    CapabilitySet { cap_type: t, data: fields.concat() }
}

/// The sets a minimal client confirms (2.2.1.13.2.1 lists the mandatory ones): interleaved RLE
/// and planar bitmaps at `bpp` (16 or 32), no drawing orders, no codecs, no GFX, no bulk
/// compression, no bitmap caching.
pub fn minimal_client_sets(width: u16, height: u16, bpp: u16) -> Vec<CapabilitySet> {
    // u64: a server may claim 65,535 x 65,535 (the hostile suite does), which overflows u32.
    let max_request = (u64::from(width) * u64::from(height) * 4 + 0x10000).min(0x0080_0000) as u32;
    vec![
        GeneralCapability {
            os_major_type: 1,
            os_minor_type: 3,
            protocol_version: 0x0200,
            compression_types: 0,
            extra_flags: ExtraFlags::FASTPATH_OUTPUT_SUPPORTED
                | ExtraFlags::LONG_CREDENTIALS_SUPPORTED
                | ExtraFlags::ENC_SALTED_CHECKSUM
                | ExtraFlags::NO_BITMAP_COMPRESSION_HDR,
            update_capability_flag: 0,
            remote_unshare_flag: 0,
            compression_level: 0,
            refresh_rect_support: 1,
            suppress_output_support: 1,
        }
        .to_set(),
        BitmapCapability {
            preferred_bits_per_pixel: bpp,
            receive1_bit_per_pixel: 1,
            receive4_bits_per_pixel: 1,
            receive8_bits_per_pixel: 1,
            desktop_width: width,
            desktop_height: height,
            desktop_resize_flag: 1,
            bitmap_compression_flag: 1,
            high_color_flags: 0,
            drawing_flags: DRAW_ALLOW_SKIP_ALPHA,
            multiple_rectangle_support: 1,
        }
        .to_set(),
        OrderCapability {
            maximum_order_level: 1,
            number_fonts: 0,
            order_flags: ORDER_FLAGS_DEFAULT,
            order_support: [0; 32],
            text_flags: 0,
            order_support_ex_flags: 0,
            desktop_save_size: 0,
            text_ansi_code_page: 0,
        }
        .to_set(),
        // Bitmap Cache rev 1 with empty caches (MS-RDPEGDI 2.2.1.1.1: 24 pad bytes, 3 caches)
        raw(CapabilityType::BitmapCache, &[&[0; 24], &[0; 12]]),
        // Pointer: color pointers, 25-entry caches
        raw(CapabilityType::Pointer, &[&1u16.to_le_bytes(), &25u16.to_le_bytes(), &25u16.to_le_bytes()]),
        // Input: scancodes, extended mouse, Unicode, fast-path input; US layout, IBM enhanced keyboard
        raw(
            CapabilityType::Input,
            &[
                &(InputFlags::SCANCODES | InputFlags::MOUSEX | InputFlags::UNICODE | InputFlags::FASTPATH_INPUT2)
                    .bits()
                    .to_le_bytes(),
                &[0, 0],
                &0x0409u32.to_le_bytes(),
                &4u32.to_le_bytes(),
                &0u32.to_le_bytes(),
                &12u32.to_le_bytes(),
                &[0; 64],
            ],
        ),
        raw(CapabilityType::Brush, &[&0u32.to_le_bytes()]),
        // Glyph Cache: ten empty caches, no fragment cache, GLYPH_SUPPORT_NONE
        raw(CapabilityType::GlyphCache, &[&[0; 40], &[0; 4], &0u16.to_le_bytes(), &[0, 0]]),
        raw(CapabilityType::OffscreenCache, &[&[0; 8]]),
        raw(CapabilityType::VirtualChannel, &[&0u32.to_le_bytes(), &1600u32.to_le_bytes()]),
        raw(CapabilityType::Sound, &[&[0; 4]]),
        raw(CapabilityType::Share, &[&[0; 4]]),
        // Control: CONTROLPRIORITY_NEVER for both interests
        raw(CapabilityType::Control, &[&[0; 4], &2u16.to_le_bytes(), &2u16.to_le_bytes()]),
        raw(CapabilityType::Activation, &[&[0; 8]]),
        // Font: FONTSUPPORT_FONTLIST
        raw(CapabilityType::Font, &[&1u16.to_le_bytes(), &[0, 0]]),
        raw(CapabilityType::ColorCache, &[&6u16.to_le_bytes(), &[0, 0]]),
        raw(CapabilityType::MultifragmentUpdate, &[&max_request.to_le_bytes()]),
        // Large Pointer: 96x96
        raw(CapabilityType::LargePointer, &[&1u16.to_le_bytes()]),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_sets_parse_back() {
        let sets = minimal_client_sets(1024, 768, 32);
        let mut all = Vec::new();
        for s in &sets {
            s.encode(&mut all);
        }
        let back = CapabilitySet::decode_all(&all, sets.len()).unwrap();
        assert_eq!(back, sets);
        let Some(Capability::Bitmap(b)) = back[1].parsed() else { panic!() };
        assert_eq!((b.desktop_width, b.desktop_height, b.preferred_bits_per_pixel), (1024, 768, 32));
        let Some(Capability::General(g)) = back[0].parsed() else { panic!() };
        assert_eq!(
            g.extra_flags.names(),
            [
                "fastpath_output_supported",
                "long_credentials_supported",
                "enc_salted_checksum",
                "no_bitmap_compression_hdr"
            ]
        );
        assert_eq!(back[2].data.len(), 84);
        assert_eq!(back[5].data.len(), 84);
        assert_eq!(back[7].data.len(), 48);
        for n in 0..all.len() {
            let _ =
                CapabilitySet::decode_all(&all[..n], sets.len()).map(|v| v.iter().map(CapabilitySet::parsed).count());
        }
    }

    #[test]
    fn the_largest_desktop_a_server_can_claim() {
        // 65,535 x 65,535 overflowed the u32 request size (a panic in debug builds).
        let sets = minimal_client_sets(u16::MAX, u16::MAX, 32);
        let mfu = sets.iter().find_map(|s| match s.parsed() {
            Some(Capability::MultifragmentUpdate { max_request_size }) => Some(max_request_size),
            _ => None,
        });
        assert_eq!(mfu, Some(0x0080_0000));
    }

    #[test]
    fn hostile_sets() {
        // lengthCapability below the header, above the data, huge count
        assert!(CapabilitySet::decode_all(&[1, 0, 2, 0], 1).is_err());
        assert!(CapabilitySet::decode_all(&[1, 0, 9, 0, 0], 1).is_err());
        assert!(CapabilitySet::decode_all(&[1, 0, 4, 0], 5000).is_err());
        // a short General set has no typed view but is kept
        let s = CapabilitySet::decode_all(&[1, 0, 6, 0, 1, 0], 1).unwrap();
        assert_eq!(s[0].parsed(), None);
        // a codec count beyond the bytes present
        let s = CapabilitySet { cap_type: CapabilityType::BitmapCodecs, data: vec![200, 1, 2, 3] };
        assert_eq!(s.parsed(), None);
    }
}
