#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| rdp_probe::fuzzing::x224_server_answer(data));
