//! Standard RDP Security (MS-RDPBCGR 5.3): encrypting the client random with the server's
//! public key (5.3.4.1), session keys for RC4 40/56/128-bit (5.3.5.1) and FIPS (5.3.5.2),
//! encryption with key updates every 4096 packets (5.3.6, 5.3.7), MAC signatures plain
//! (5.3.6.1.1) and salted (5.3.6.1.2), and the FIPS 3DES-CBC + HMAC-SHA1 layer (5.3.6.2).
//!
//! Everything is from the client's side: "encrypt" is client to server.

use des::cipher::{BlockCipherDecrypt, BlockCipherEncrypt};
use des::TdesEde3;
use hmac::{Hmac, KeyInit, Mac};
use md5::{Digest, Md5};
use num_bigint::BigUint;
use rc4::{Rc4, StreamCipher};
use sha1::Sha1;

/// Packets encrypted with one key before it is updated (5.3.7).
pub const KEY_UPDATE_INTERVAL: u32 = 4096;
/// Largest modulus we encrypt with (bits); a public key beyond this is refused.
pub const MAX_MODULUS_BITS: u64 = 16384;

/// Pad1 of the MAC (5.3.6.1.1; MS-RDPELE 5.1.5 uses the same).
pub(crate) const PAD1: [u8; 40] = [0x36; 40];
/// Pad2 of the MAC (5.3.6.1.1; MS-RDPELE 5.1.5 uses the same).
pub(crate) const PAD2: [u8; 48] = [0x5c; 48];
/// The fixed IV of FIPS 3DES-CBC (5.3.6.2).
pub const FIPS_IV: [u8; 8] = [0x12, 0x34, 0x56, 0x78, 0x90, 0xab, 0xcd, 0xef];

/// Why a cryptographic step could not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// The server's public key cannot be used (zero, too large, exponent zero).
    #[error("unusable server public key")]
    BadPublicKey,
    /// The encryption method is none or unknown: there are no keys to derive.
    #[error("no Standard RDP Security encryption method")]
    NoMethod,
    /// A random of the wrong size.
    #[error("client and server randoms must be 32 bytes")]
    BadRandom,
    /// FIPS data that is not a whole number of blocks, or a bad padding length.
    #[error("FIPS data is not a whole number of 8-byte blocks or has a bad padding length")]
    BadFipsLength,
}

/// 5.3.4.1: the client random as a little-endian integer, raised to the public exponent modulo
/// the little-endian modulus, written little-endian over the modulus length plus 8 zero bytes.
/// `modulus_le` is the RSA_PUBLIC_KEY modulus as sent (its zero padding is harmless).
pub fn rsa_encrypt_le(data: &[u8], modulus_le: &[u8], exponent: u32) -> Result<Vec<u8>, CryptoError> {
    let n = BigUint::from_bytes_le(modulus_le);
    let bits = n.bits();
    if bits == 0 || bits > MAX_MODULUS_BITS || exponent == 0 {
        return Err(CryptoError::BadPublicKey);
    }
    let m = BigUint::from_bytes_le(data);
    if m >= n {
        return Err(CryptoError::BadPublicKey);
    }
    let c = m.modpow(&BigUint::from(exponent), &n);
    let len = usize::try_from(bits.div_ceil(8)).map_err(|_| CryptoError::BadPublicKey)? + 8;
    let mut out = c.to_bytes_le();
    out.resize(len, 0);
    Ok(out)
}

/// The negotiated encryptionMethod (2.2.1.4.3) that keys are derived for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// ENCRYPTION_METHOD_40BIT.
    Rc4_40,
    /// ENCRYPTION_METHOD_56BIT.
    Rc4_56,
    /// ENCRYPTION_METHOD_128BIT.
    Rc4_128,
    /// ENCRYPTION_METHOD_FIPS.
    Fips,
}

impl Method {
    /// From the server's encryptionMethod; `None` for ENCRYPTION_METHOD_NONE and unknown values.
    pub fn from_value(v: u32) -> Option<Method> {
        match v {
            0x01 => Some(Method::Rc4_40),
            0x02 => Some(Method::Rc4_128),
            0x08 => Some(Method::Rc4_56),
            0x10 => Some(Method::Fips),
            _ => None,
        }
    }

    /// RC4 key length in bytes (8 for 40/56-bit keys, which are salted; 16 for 128-bit).
    fn key_len(self) -> usize {
        if self == Method::Rc4_128 {
            16
        } else {
            8
        }
    }

    /// 5.3.5.1: 40-bit keys get `D1 26 9E` in front, 56-bit keys `D1`.
    fn salt(self, key: &mut [u8]) {
        let salt: &[u8] = match self {
            Method::Rc4_40 => &[0xd1, 0x26, 0x9e],
            Method::Rc4_56 => &[0xd1],
            _ => &[],
        };
        for (k, s) in key.iter_mut().zip(salt) {
            *k = *s;
        }
    }
}

/// MD5 over the concatenation of `parts`.
pub(crate) fn md5(parts: &[&[u8]]) -> [u8; 16] {
    let mut h = Md5::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// SHA-1 over the concatenation of `parts`.
pub(crate) fn sha1(parts: &[&[u8]]) -> [u8; 20] {
    let mut h = Sha1::new();
    for p in parts {
        Digest::update(&mut h, p);
    }
    h.finalize().into()
}

/// SaltedHash(S, I) = MD5(S + SHA(I + S + ClientRandom + ServerRandom)) (5.3.5.1). MS-RDPELE
/// 5.1.2 uses it as is for the licensing master secret and with the randoms swapped
/// (SaltedHash2) for the licensing session key blob.
pub(crate) fn salted_hash(s: &[u8], i: &[u8], client_random: &[u8], server_random: &[u8]) -> [u8; 16] {
    md5(&[s, &sha1(&[i, s, client_random, server_random])])
}

/// Three SaltedHash outputs with the labels `A`/`BB`/`CCC` or `X`/`YY`/`ZZZ`.
pub(crate) fn hash48(s: &[u8], labels: [&[u8]; 3], cr: &[u8], sr: &[u8]) -> [u8; 48] {
    let mut out = [0u8; 48];
    for (chunk, label) in out.chunks_exact_mut(16).zip(labels) {
        chunk.copy_from_slice(&salted_hash(s, label, cr, sr));
    }
    out
}

/// The initial non-FIPS session keys (5.3.5.1), client view.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionKeys {
    /// The method they are for.
    pub method: Method,
    /// MACKey (8 or 16 bytes).
    pub mac_key: Vec<u8>,
    /// Initial client encrypt key (= InitialServerDecryptKey).
    pub encrypt_key: Vec<u8>,
    /// Initial client decrypt key (= InitialServerEncryptKey).
    pub decrypt_key: Vec<u8>,
}

impl std::fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionKeys").field("method", &self.method).finish_non_exhaustive()
    }
}

impl SessionKeys {
    /// Derives the keys from the two 32-byte randoms.
    pub fn derive(method: Method, client_random: &[u8], server_random: &[u8]) -> Result<SessionKeys, CryptoError> {
        if method == Method::Fips {
            return Err(CryptoError::NoMethod);
        }
        let (Some(c24), Some(s24)) = (client_random.get(..24), server_random.get(..24)) else {
            return Err(CryptoError::BadRandom);
        };
        if client_random.len() != 32 || server_random.len() != 32 {
            return Err(CryptoError::BadRandom);
        }
        let pre_master = [c24, s24].concat();
        let master = hash48(&pre_master, [b"A", b"BB", b"CCC"], client_random, server_random);
        let blob = hash48(&master, [b"X", b"YY", b"ZZZ"], client_random, server_random);
        let final_hash = |k: &[u8]| md5(&[k, client_random, server_random]);
        let (first, rest) = blob.split_at(16);
        let (second, third) = rest.split_at(16);
        let n = method.key_len();
        let mut mac_key = first.get(..n).unwrap_or_default().to_vec();
        let mut encrypt_key = final_hash(third).get(..n).unwrap_or_default().to_vec();
        let mut decrypt_key = final_hash(second).get(..n).unwrap_or_default().to_vec();
        for k in [&mut mac_key, &mut encrypt_key, &mut decrypt_key] {
            method.salt(k);
        }
        Ok(SessionKeys { method, mac_key, encrypt_key, decrypt_key })
    }
}

/// MACSignature = First64Bits(MD5(MACKey + Pad2 + SHA(MACKey + Pad1 + Length + Data))) (5.3.6.1.1).
pub fn mac_signature(mac_key: &[u8], data: &[u8]) -> [u8; 8] {
    let len = (data.len() as u32).to_le_bytes();
    first8(&md5(&[mac_key, &PAD2, &sha1(&[mac_key, &PAD1, &len, data])]))
}

/// The salted MAC (5.3.6.1.2): as [`mac_signature`] with the packet count after the data.
pub fn salted_mac_signature(mac_key: &[u8], data: &[u8], encryption_count: u32) -> [u8; 8] {
    let len = (data.len() as u32).to_le_bytes();
    let count = encryption_count.to_le_bytes();
    first8(&md5(&[mac_key, &PAD2, &sha1(&[mac_key, &PAD1, &len, data, &count])]))
}

fn first8(b: &[u8]) -> [u8; 8] {
    let mut out = [0u8; 8];
    for (o, x) in out.iter_mut().zip(b) {
        *o = *x;
    }
    out
}

/// One direction of RC4 with its key update every 4096 packets (5.3.7).
pub struct Rc4Direction {
    method: Method,
    initial_key: Vec<u8>,
    current_key: Vec<u8>,
    rc4: Option<Rc4>,
    /// Packets since the last key update.
    use_count: u32,
    /// Packets in this direction so far (the salted MAC's EncryptionCount).
    pub packets: u32,
}

impl std::fmt::Debug for Rc4Direction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rc4Direction").field("packets", &self.packets).finish_non_exhaustive()
    }
}

impl Rc4Direction {
    /// Starts a direction with its initial key.
    pub fn new(method: Method, key: &[u8]) -> Self {
        Rc4Direction {
            method,
            initial_key: key.to_vec(),
            current_key: key.to_vec(),
            rc4: Rc4::new_from_slice(key).ok(),
            use_count: 0,
            packets: 0,
        }
    }

    /// The key update of 5.3.7.1: MD5/SHA-1 of the initial and current keys, then RC4 of that
    /// under itself, salted for 40/56-bit methods.
    fn update_key(&mut self) {
        let sha = sha1(&[&self.initial_key, &PAD1, &self.current_key]);
        let tmp = md5(&[&self.initial_key, &PAD2, &sha]);
        let mut new_key = tmp.get(..self.method.key_len()).unwrap_or_default().to_vec();
        if let Ok(mut c) = Rc4::new_from_slice(&new_key) {
            c.apply_keystream(&mut new_key);
        }
        self.method.salt(&mut new_key);
        self.rc4 = Rc4::new_from_slice(&new_key).ok();
        self.current_key = new_key;
    }

    /// Encrypts or decrypts one packet's data in place (RC4 is symmetric).
    pub fn apply(&mut self, data: &mut [u8]) {
        if self.use_count >= KEY_UPDATE_INTERVAL {
            self.update_key();
            self.use_count = 0;
        }
        if let Some(c) = self.rc4.as_mut() {
            c.apply_keystream(data);
        }
        self.use_count += 1;
        self.packets = self.packets.wrapping_add(1);
    }
}

/// Non-FIPS Standard RDP Security for both directions: sign then encrypt, decrypt then verify.
#[derive(Debug)]
pub struct Rc4Security {
    mac_key: Vec<u8>,
    /// Client to server.
    pub encrypt: Rc4Direction,
    /// Server to client.
    pub decrypt: Rc4Direction,
}

impl Rc4Security {
    /// From derived keys.
    pub fn new(keys: &SessionKeys) -> Self {
        Rc4Security {
            mac_key: keys.mac_key.clone(),
            encrypt: Rc4Direction::new(keys.method, &keys.encrypt_key),
            decrypt: Rc4Direction::new(keys.method, &keys.decrypt_key),
        }
    }

    /// Signs the plaintext (salted with the packet count when `salted`, i.e. SEC_SECURE_CHECKSUM)
    /// and encrypts it in place; returns the dataSignature.
    pub fn encrypt(&mut self, data: &mut [u8], salted: bool) -> [u8; 8] {
        let sig = if salted {
            salted_mac_signature(&self.mac_key, data, self.encrypt.packets)
        } else {
            mac_signature(&self.mac_key, data)
        };
        self.encrypt.apply(data);
        sig
    }

    /// Decrypts in place and checks the signature; false when it does not match.
    pub fn decrypt(&mut self, data: &mut [u8], signature: &[u8; 8], salted: bool) -> bool {
        let count = self.decrypt.packets;
        self.decrypt.apply(data);
        let sig =
            if salted { salted_mac_signature(&self.mac_key, data, count) } else { mac_signature(&self.mac_key, data) };
        sig == *signature
    }
}

/// Spreads 168 key bits over 24 DES key bytes, 7 per byte, with odd parity in the low bit
/// (5.3.5.2). The bit order is the one Windows, xrdp and FreeRDP interoperate with: each input
/// byte is read least significant bit first.
fn fips_expand_key(k21: &[u8; 21]) -> [u8; 24] {
    let bit = |n: usize| k21.get(n / 8).map_or(0, |b| (b >> (n % 8)) & 1);
    let mut out = [0u8; 24];
    for (i, o) in out.iter_mut().enumerate() {
        // 7 bits of the LSB-first stream land in bits 0..=6, bit 7 stays 0; then the parity
        // bit (bit 0) is set so the byte has odd parity, as the reference implementations do.
        let mut v = 0u8;
        for j in 0..7 {
            v |= bit(i * 7 + j) << j;
        }
        let ones = (v & 0xfe).count_ones();
        *o = (v & 0xfe) | u8::from(ones.is_multiple_of(2));
    }
    out
}

/// FIPS session keys (5.3.5.2), client view.
#[derive(Clone, PartialEq, Eq)]
pub struct FipsKeys {
    /// 3DES key for client to server.
    pub encrypt_key: [u8; 24],
    /// 3DES key for server to client.
    pub decrypt_key: [u8; 24],
    /// HMAC-SHA1 key of the signatures.
    pub sign_key: [u8; 20],
}

impl std::fmt::Debug for FipsKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FipsKeys").finish_non_exhaustive()
    }
}

impl FipsKeys {
    /// ClientEncryptKeyT = SHA(Last128Bits(ClientRandom) + Last128Bits(ServerRandom)),
    /// ClientDecryptKeyT = SHA(First128Bits(ClientRandom) + First128Bits(ServerRandom)), each
    /// extended by its first byte to 168 bits and expanded to 3DES keys; the HMAC key is
    /// SHA(ClientDecryptKeyT + ClientEncryptKeyT).
    pub fn derive(client_random: &[u8], server_random: &[u8]) -> Result<FipsKeys, CryptoError> {
        if client_random.len() != 32 || server_random.len() != 32 {
            return Err(CryptoError::BadRandom);
        }
        let (c_first, c_last) = client_random.split_at(16);
        let (s_first, s_last) = server_random.split_at(16);
        let enc_t = sha1(&[c_last, s_last]);
        let dec_t = sha1(&[c_first, s_first]);
        let sign_key = sha1(&[&dec_t, &enc_t]);
        let widen = |t: &[u8; 20]| {
            let mut k = [0u8; 21];
            k[..20].copy_from_slice(t);
            k[20] = t[0];
            fips_expand_key(&k)
        };
        Ok(FipsKeys { encrypt_key: widen(&enc_t), decrypt_key: widen(&dec_t), sign_key })
    }
}

/// FIPS security for both directions: 3DES-CBC whose chain runs on across packets, HMAC-SHA1
/// signatures over the plaintext and the packet count (5.3.6.2).
pub struct FipsSecurity {
    enc: Option<TdesEde3>,
    dec: Option<TdesEde3>,
    enc_iv: [u8; 8],
    dec_iv: [u8; 8],
    sign_key: [u8; 20],
    /// Packets sent so far.
    pub encrypt_count: u32,
    /// Packets received so far.
    pub decrypt_count: u32,
}

impl std::fmt::Debug for FipsSecurity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FipsSecurity").field("encrypt_count", &self.encrypt_count).finish_non_exhaustive()
    }
}

impl FipsSecurity {
    /// From derived keys.
    pub fn new(keys: &FipsKeys) -> Self {
        FipsSecurity {
            enc: TdesEde3::new_from_slice(&keys.encrypt_key).ok(),
            dec: TdesEde3::new_from_slice(&keys.decrypt_key).ok(),
            enc_iv: FIPS_IV,
            dec_iv: FIPS_IV,
            sign_key: keys.sign_key,
            encrypt_count: 0,
            decrypt_count: 0,
        }
    }

    fn sign(&self, data: &[u8], count: u32) -> [u8; 8] {
        let mut out = [0u8; 8];
        if let Ok(mut mac) = <Hmac<Sha1> as KeyInit>::new_from_slice(&self.sign_key) {
            mac.update(data);
            mac.update(&count.to_le_bytes());
            out = first8(&mac.finalize().into_bytes());
        }
        out
    }

    /// Signs and encrypts: returns (ciphertext padded to 8 bytes, padlen, dataSignature).
    pub fn encrypt(&mut self, plain: &[u8]) -> (Vec<u8>, u8, [u8; 8]) {
        let sig = self.sign(plain, self.encrypt_count);
        let pad = (8 - plain.len() % 8) % 8;
        let mut buf = plain.to_vec();
        buf.resize(plain.len() + pad, 0);
        for block in buf.chunks_exact_mut(8) {
            for (b, v) in block.iter_mut().zip(self.enc_iv) {
                *b ^= v;
            }
            if let (Some(c), Ok(blk)) = (self.enc.as_ref(), <&mut des::cipher::Block<TdesEde3>>::try_from(&mut *block))
            {
                c.encrypt_block(blk);
            }
            self.enc_iv.copy_from_slice(block);
        }
        self.encrypt_count = self.encrypt_count.wrapping_add(1);
        (buf, pad as u8, sig)
    }

    /// Decrypts (the data must be whole blocks), drops `padlen` bytes, checks the signature.
    /// Returns the plaintext and whether the signature matched.
    pub fn decrypt(&mut self, data: &[u8], padlen: u8, signature: &[u8; 8]) -> Result<(Vec<u8>, bool), CryptoError> {
        if !data.len().is_multiple_of(8) || usize::from(padlen) > data.len().min(7) {
            return Err(CryptoError::BadFipsLength);
        }
        let mut buf = data.to_vec();
        for block in buf.chunks_exact_mut(8) {
            let mut next_iv = [0u8; 8];
            next_iv.copy_from_slice(block);
            if let (Some(c), Ok(blk)) = (self.dec.as_ref(), <&mut des::cipher::Block<TdesEde3>>::try_from(&mut *block))
            {
                c.decrypt_block(blk);
            }
            for (b, v) in block.iter_mut().zip(self.dec_iv) {
                *b ^= v;
            }
            self.dec_iv = next_iv;
        }
        buf.truncate(buf.len() - usize::from(padlen));
        let ok = self.sign(&buf, self.decrypt_count) == *signature;
        self.decrypt_count = self.decrypt_count.wrapping_add(1);
        Ok((buf, ok))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CR: [u8; 32] = [0x11; 32];
    const SR: [u8; 32] = [0x22; 32];

    #[test]
    fn rsa_small_key() {
        // n = 61 * 53 = 3233, e = 17, d = 2753: textbook RSA, little-endian on the wire.
        let n = 3233u32.to_le_bytes();
        let c = rsa_encrypt_le(&[65], &n, 17).unwrap();
        assert_eq!(c.len(), 2 + 8);
        let cv = u32::from(c[0]) | (u32::from(c[1]) << 8);
        assert_eq!(cv, 2790);
        assert_eq!(BigUint::from(cv).modpow(&BigUint::from(2753u32), &BigUint::from(3233u32)), BigUint::from(65u32));
        assert_eq!(rsa_encrypt_le(&[1], &[0, 0], 3), Err(CryptoError::BadPublicKey));
        assert_eq!(rsa_encrypt_le(&[0xff, 0xff], &n, 3), Err(CryptoError::BadPublicKey));
    }

    /// The server's keys are the client's swapped: what the client encrypts, a server built
    /// from the same derivation decrypts, for every method and across a key update.
    #[test]
    fn rc4_both_directions_agree() {
        for m in [Method::Rc4_40, Method::Rc4_56, Method::Rc4_128] {
            let k = SessionKeys::derive(m, &CR, &SR).unwrap();
            assert_eq!(k.encrypt_key.len(), if m == Method::Rc4_128 { 16 } else { 8 });
            if m == Method::Rc4_40 {
                assert_eq!(&k.mac_key[..3], &[0xd1, 0x26, 0x9e]);
            }
            let server_keys =
                SessionKeys { encrypt_key: k.decrypt_key.clone(), decrypt_key: k.encrypt_key.clone(), ..k.clone() };
            let mut client = Rc4Security::new(&k);
            let mut server = Rc4Security::new(&server_keys);
            for n in 0..4100u32 {
                let plain = n.to_le_bytes().repeat(3);
                let mut data = plain.clone();
                let sig = client.encrypt(&mut data, n % 2 == 0);
                assert_ne!(data, plain);
                assert!(server.decrypt(&mut data, &sig, n % 2 == 0), "{m:?} packet {n}");
                assert_eq!(data, plain);
            }
            // a wrong signature is detected
            let mut data = vec![1, 2, 3];
            let mut sig = client.encrypt(&mut data, false);
            sig[0] ^= 1;
            assert!(!server.decrypt(&mut data, &sig, false));
        }
        assert_eq!(SessionKeys::derive(Method::Rc4_128, &CR[..31], &SR), Err(CryptoError::BadRandom));
    }

    #[test]
    fn key_update_changes_the_keystream() {
        let k = SessionKeys::derive(Method::Rc4_128, &CR, &SR).unwrap();
        let mut d = Rc4Direction::new(Method::Rc4_128, &k.encrypt_key);
        for _ in 0..KEY_UPDATE_INTERVAL {
            d.apply(&mut [0u8; 4]);
        }
        let before = d.current_key.clone();
        d.apply(&mut [0u8; 4]);
        assert_ne!(before, d.current_key);
        assert_eq!(d.packets, KEY_UPDATE_INTERVAL + 1);
    }

    #[test]
    fn fips_round_trip_and_parity() {
        let k = FipsKeys::derive(&CR, &SR).unwrap();
        for b in k.encrypt_key.iter().chain(&k.decrypt_key) {
            assert_eq!(b.count_ones() % 2, 1);
        }
        let server_keys = FipsKeys { encrypt_key: k.decrypt_key, decrypt_key: k.encrypt_key, sign_key: k.sign_key };
        let mut client = FipsSecurity::new(&k);
        let mut server = FipsSecurity::new(&server_keys);
        for len in [0usize, 1, 7, 8, 9, 100] {
            let plain = vec![0x5a; len];
            let (ct, pad, sig) = client.encrypt(&plain);
            assert_eq!(ct.len() % 8, 0);
            let (back, ok) = server.decrypt(&ct, pad, &sig).unwrap();
            assert!(ok);
            assert_eq!(back, plain);
        }
        assert_eq!(server.decrypt(&[0; 7], 0, &[0; 8]), Err(CryptoError::BadFipsLength));
        assert_eq!(server.decrypt(&[0; 8], 8, &[0; 8]), Err(CryptoError::BadFipsLength));
    }

    #[test]
    fn fips_expansion_bit_order() {
        // bit 0 of the first input byte is the first key bit: it lands in bit 0 of out[0],
        // which the parity step then owns; bit 1 lands in bit 1.
        let mut k = [0u8; 21];
        k[0] = 0b10;
        let out = fips_expand_key(&k);
        assert_eq!(out[0], 0b10);
        assert_eq!(out[1], 0x01);
    }
}
