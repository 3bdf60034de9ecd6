#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| payspec_fuzz::spec_loader(data));
