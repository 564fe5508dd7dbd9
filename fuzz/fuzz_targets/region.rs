//! Region codes in all three written forms on arbitrary text: no panic; a parsed code
//! round-trips through its dotted and plain forms.
#![no_main]
use dtsen_core::RegionCode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(c) = RegionCode::parse(text) {
        assert_eq!(RegionCode::parse(&c.to_string()), Ok(c));
        assert_eq!(RegionCode::parse(&c.digits()), Ok(c));
    }
    let parts: Vec<&str> = text.splitn(4, '|').collect();
    if parts.len() == 4 {
        let _ = RegionCode::from_parts(parts[0], parts[1], parts[2], parts[3]);
    }
});
