//! NIK and KK parsing on arbitrary text: no panic; a NIK that parses writes back to itself.
#![no_main]
use dtsen_core::{Date, KkNumber, Nik, RegionTable};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let regions = RegionTable::official();
    let on = Date::from_days(20_726);
    if let Ok(n) = Nik::parse(text, regions, on) {
        let again = Nik::parse(&n.to_string(), regions, on).expect("a parsed NIK parses again");
        assert_eq!(again, n);
        assert!(n.birth_date_on(on).is_some());
    }
    let _ = KkNumber::parse(text, regions);
});
