//! The licensing security layer (MS-RDPELE 5.1): the keys both sides derive from the client
//! random, the server random and the client's premaster secret (5.1.2), RC4 encryption of
//! licensing fields (5.1.3, 5.1.4) and their MAC (5.1.5). It is separate from Standard RDP
//! Security (MS-RDPBCGR 5.3) and runs under TLS too: a client needs it to answer a Server
//! Platform Challenge (2.2.2.4) with a Client Platform Challenge Response (2.2.2.5).
//!
//! Test vectors (see the tests): the key schedule of FreeRDP's early licensing unit test
//! (`cunit/test_license.c`, 2011) and of IronRDP's `client_new_license_request/tests.rs`, and
//! the MAC and RC4 of IronRDP's `client_platform_challenge_response/test.rs`.

use super::crypto::{hash48, md5, sha1, CryptoError, PAD1, PAD2};
use rc4::{KeyInit, Rc4, StreamCipher};

/// Length of the premaster secret (MS-RDPELE 2.2.2.2: 48 random bytes).
pub const PREMASTER_SECRET_LEN: usize = 48;
/// Length of MACData in licensing messages (an MD5 digest).
pub const MAC_LEN: usize = 16;

/// MasterSecret = PreMasterHash('A') + PreMasterHash('BB') + PreMasterHash('CCC'), where
/// PreMasterHash(I) = MD5(PreMasterSecret + SHA-1(I + PreMasterSecret + ClientRandom +
/// ServerRandom)) (5.1.2 step 1).
pub fn master_secret(premaster: &[u8], client_random: &[u8], server_random: &[u8]) -> [u8; 48] {
    hash48(premaster, [b"A", b"BB", b"CCC"], client_random, server_random)
}

/// SessionKeyBlob = MasterHash('A') + MasterHash('BB') + MasterHash('CCC'), where
/// MasterHash(I) = MD5(MasterSecret + SHA-1(I + MasterSecret + ServerRandom + ClientRandom)):
/// the randoms in the other order than for the master secret (5.1.2 step 2, SaltedHash2).
pub fn session_key_blob(master: &[u8], client_random: &[u8], server_random: &[u8]) -> [u8; 48] {
    hash48(master, [b"A", b"BB", b"CCC"], server_random, client_random)
}

/// MACData = MD5(MAC-salt-key + Pad2 + SHA-1(MAC-salt-key + Pad1 + length + data)), the
/// length a little-endian u32 (5.1.5). The same construction as MS-RDPBCGR 5.3.6.1.1, all 16
/// bytes kept.
pub fn mac_data(mac_salt_key: &[u8], data: &[u8]) -> [u8; MAC_LEN] {
    let len = u32::try_from(data.len()).unwrap_or(u32::MAX).to_le_bytes();
    md5(&[mac_salt_key, &PAD2, &sha1(&[mac_salt_key, &PAD1, &len, data])])
}

/// The two licensing keys of one session (5.1.2), the same on both sides.
#[derive(Clone, PartialEq, Eq)]
pub struct LicensingKeys {
    /// MAC-salt-key = First128Bits(SessionKeyBlob).
    pub mac_salt_key: [u8; 16],
    /// LicensingEncryptionKey = MD5(Second128Bits(SessionKeyBlob) + ClientRandom +
    /// ServerRandom).
    pub encryption_key: [u8; 16],
}

impl std::fmt::Debug for LicensingKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LicensingKeys").finish_non_exhaustive()
    }
}

impl LicensingKeys {
    /// Derives the keys: the randoms must be 32 bytes, the premaster secret 48.
    pub fn derive(client_random: &[u8], server_random: &[u8], premaster: &[u8]) -> Result<LicensingKeys, CryptoError> {
        if client_random.len() != 32 || server_random.len() != 32 || premaster.len() != PREMASTER_SECRET_LEN {
            return Err(CryptoError::BadRandom);
        }
        let master = master_secret(premaster, client_random, server_random);
        let blob = session_key_blob(&master, client_random, server_random);
        let (first, rest) = blob.split_at(16);
        let second = rest.get(..16).unwrap_or_default();
        let mut mac_salt_key = [0u8; 16];
        mac_salt_key.copy_from_slice(first);
        Ok(LicensingKeys { mac_salt_key, encryption_key: md5(&[second, client_random, server_random]) })
    }

    /// RC4 with the licensing encryption key (5.1.3, 5.1.4; symmetric). Every licensing field
    /// is encrypted on its own, from a fresh key schedule.
    pub fn rc4(&self, data: &[u8]) -> Vec<u8> {
        let mut out = data.to_vec();
        if let Ok(mut c) = Rc4::new_from_slice(&self.encryption_key) {
            c.apply_keystream(&mut out);
        }
        out
    }

    /// The MAC of clear data under the MAC salt key (5.1.5).
    pub fn mac(&self, data: &[u8]) -> [u8; MAC_LEN] {
        mac_data(&self.mac_salt_key, data)
    }

    /// Decrypts a field and checks `mac` against the MAC of the clear data: the clear data
    /// and whether the MAC matched.
    pub fn open(&self, encrypted: &[u8], mac: &[u8]) -> (Vec<u8>, bool) {
        let clear = self.rc4(encrypted);
        let ok = self.mac(&clear).as_slice() == mac;
        (clear, ok)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    /// Licensing keys from FreeRDP's licensing unit test of 2011 (`cunit/test_license.c`,
    /// FreeRDP/FreeRDP commit 00f7ac1f: `test_client_random`, `test_server_random`,
    /// `test_premaster_secret`, `test_modulus`/`test_exponent`, and the expected
    /// `test_master_secret`, `test_session_key_blob`, `test_mac_salt_key`,
    /// `test_licensing_encryption_key`, `test_encrypted_premaster_secret`,
    /// `test_encrypted_platform_challenge` / `test_platform_challenge`). The client random and
    /// premaster secret are those of the MS-RDPELE annotated trace the same file carries
    /// (Administrator / RODENT); the server random differs from that trace's.
    pub(crate) struct FreeRdpVector;

    impl FreeRdpVector {
        pub(crate) fn client_random() -> Vec<u8> {
            hex("dc73a0c869256b18af0b947aa9a520af 8bbc0dcca395b7b9eb815dbe0a109cd8")
        }
        pub(crate) fn server_random() -> Vec<u8> {
            hex("167ef87148161a4fa52ccd736360a6c3 b9191b4b6bb20ab8ecf18d954ea821c5")
        }
        pub(crate) fn premaster() -> Vec<u8> {
            hex("cf7adbcbfb0e1523871c8481ba9d4e15 bbd256bdd8f7f316cc353be1934278dd 929ae47ae299d473b1aa6f55943bc9bc")
        }
        /// The 512-bit RSA modulus, little-endian as in an RSA1 key blob; exponent 65537.
        pub(crate) fn modulus_le() -> Vec<u8> {
            hex("23c9ec0e9f1e0e1a78afa514d4f545e4 046ef401e9df45d1c2aef47fd3b9cbf3 \
                 1a23a10d4bd4d14ad2d1c97cab248bb1 5a93ca344417b5e4fef79aaa720d4195")
        }
        pub(crate) fn encrypted_premaster() -> Vec<u8> {
            hex("6bbc779f200c9839c18577c81987d882 93bd21695f87e0d64ead5e2313808c63 \
                 3ed66e60c940e986088cd5aaa954fe27 4c1f8757decad4c71e469e007adb4723")
        }
        pub(crate) fn master_secret() -> Vec<u8> {
            hex("be51ee632390d0f43ace3a3765c3ddcf edf0c819ed77334efd2b7d5ae2caf30a f116e50c78597ed44b57ce17603a5ab3")
        }
        pub(crate) fn session_key_blob() -> Vec<u8> {
            hex("074fa02eeec45a46218cae01450226e4 546b5910cc5bd196d05cebc2969b447b 1cd966b19e24aa604f89d14ef8b9553b")
        }
        pub(crate) fn mac_salt_key() -> Vec<u8> {
            hex("074fa02eeec45a46218cae01450226e4")
        }
        pub(crate) fn encryption_key() -> Vec<u8> {
            hex("f3b1e03bfeb4f2c528a948cd90f193e5")
        }
        pub(crate) fn encrypted_challenge() -> Vec<u8> {
            hex("840a4250ad5ec12930bd")
        }
    }

    /// "TEST" and its terminating null in UTF-16LE: the platform challenge of both vectors.
    pub(crate) const TEST_CHALLENGE: [u8; 10] = [0x54, 0, 0x45, 0, 0x53, 0, 0x54, 0, 0, 0];

    #[test]
    fn freerdp_vector_key_schedule() {
        let (cr, sr, pm) = (FreeRdpVector::client_random(), FreeRdpVector::server_random(), FreeRdpVector::premaster());
        let ms = master_secret(&pm, &cr, &sr);
        assert_eq!(ms.to_vec(), FreeRdpVector::master_secret());
        assert_eq!(session_key_blob(&ms, &cr, &sr).to_vec(), FreeRdpVector::session_key_blob());
        let k = LicensingKeys::derive(&cr, &sr, &pm).unwrap();
        assert_eq!(k.mac_salt_key.to_vec(), FreeRdpVector::mac_salt_key());
        assert_eq!(k.encryption_key.to_vec(), FreeRdpVector::encryption_key());
        // RC4 under that key: the encrypted challenge of the vector is "TEST\0" in UTF-16
        assert_eq!(k.rc4(&FreeRdpVector::encrypted_challenge()), TEST_CHALLENGE);
        assert_eq!(k.rc4(&TEST_CHALLENGE), FreeRdpVector::encrypted_challenge());
        // the premaster secret under the vector's key, as MS-RDPBCGR 5.3.4.1 encrypts (then
        // the 8 zero bytes of padding)
        let enc = super::super::crypto::rsa_encrypt_le(&pm, &FreeRdpVector::modulus_le(), 0x10001).unwrap();
        assert_eq!(enc[..64], FreeRdpVector::encrypted_premaster()[..]);
        assert_eq!(enc[64..], [0; 8]);
    }

    /// IronRDP's licensing vectors (Devolutions/IronRDP, crates/ironrdp-pdu/src/rdp/
    /// server_license/client_new_license_request/tests.rs: CLIENT_RANDOM_BUFFER,
    /// SERVER_RANDOM_BUFFER, PREMASTER_SECRET_BUFFER, MASTER_SECRET_BUFFER, SESSION_KEY_BLOB,
    /// LICENSE_KEY_BUFFER; client_platform_challenge_response/test.rs: a platform challenge
    /// with its MAC under another key pair).
    #[test]
    fn ironrdp_vectors() {
        let cr = hex("4b5b7b43638a08fed17abaf5918577fe 3936f6d778ec6acc894a90412cac5a49");
        let sr = hex("5c81f011ebcfd10eb41fb3ba93a2d739 09aa99e910d4d795ddad916905266b6a");
        let pm =
            hex("1428dafbb9ea38ab5ea2f904f7899c98 3d504577bf17811c3787c24813e8c920 4ddff327bdb6987e64dafe1d312f62ca");
        let ms = master_secret(&pm, &cr, &sr);
        assert_eq!(
            ms.to_vec(),
            hex("fedc519adb3ac961040724945d0c43a7 70e3f30050d7a8723eab7e1be464e5c5 74aeed1072962a4c65094f6012a912a1")
        );
        assert_eq!(
            session_key_blob(&ms, &cr, &sr).to_vec(),
            hex("f70375b95fdad0beb42af5c13d98857a d6c5394ce3cb7661aa4ab6157e89213d df5b2532ee05060d5baa6314afa5460f")
        );
        let k = LicensingKeys::derive(&cr, &sr, &pm).unwrap();
        assert_eq!(k.encryption_key.to_vec(), hex("fa44e878d82b3f1d4d00a0a655ce8ab7"));

        // the platform challenge: RC4 and MAC
        let mut k = LicensingKeys { mac_salt_key: [0; 16], encryption_key: [0; 16] };
        k.mac_salt_key.copy_from_slice(&hex("015b9e5f06977158c3b88b8c6e772137"));
        k.encryption_key.copy_from_slice(&hex("e178e4a02ac5cab8a2d153b80723f3d2"));
        let (clear, ok) = k.open(&hex("26388877cbe8bfce2c51"), &hex("514a272c7418ec8895ddac103e3f0a72"));
        assert_eq!(clear, TEST_CHALLENGE);
        assert!(ok);
        let (_, ok) = k.open(&hex("26388877cbe8bfce2c51"), &hex("514a272c7418ec8895ddac103e3f0a73"));
        assert!(!ok, "a MAC off by one bit does not verify");
    }

    #[test]
    fn bad_lengths_are_refused() {
        assert_eq!(LicensingKeys::derive(&[0; 31], &[0; 32], &[0; 48]), Err(CryptoError::BadRandom));
        assert_eq!(LicensingKeys::derive(&[0; 32], &[0; 33], &[0; 48]), Err(CryptoError::BadRandom));
        assert_eq!(LicensingKeys::derive(&[0; 32], &[0; 32], &[0; 47]), Err(CryptoError::BadRandom));
        let k = LicensingKeys::derive(&[0; 32], &[0; 32], &[0; 48]).unwrap();
        assert_eq!(k.rc4(&[]), Vec::<u8>::new());
        assert_eq!(format!("{k:?}"), "LicensingKeys { .. }", "keys never printed");
    }
}
