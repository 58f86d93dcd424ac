#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| rdp_probe::ntlm::fuzz::ntlm_challenge(data));
