#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| rdp_probe::fuzzing::rdp_licensing_challenge(data));
