#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| rdp_probe::gcc::fuzz::gcc_server_blocks(data));
