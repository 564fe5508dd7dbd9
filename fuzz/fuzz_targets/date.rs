//! Date reading in every layout on arbitrary text: no panic; a full date is a real date.
#![no_main]
use dtsen_ingest::values::{date, DateLayout};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for layout in [DateLayout::Iso, DateLayout::DmyDash, DateLayout::DmySlash] {
        if let Ok(Some(d)) = date(text, layout) {
            if let (Some(m), Some(day)) = (d.month, d.day) {
                assert!(dtsen_core::Date::new(d.year, m, day).is_ok());
            }
        }
    }
    let _ = dtsen_core::Date::parse_iso(text);
    let _ = dtsen_core::Date::parse_dmy(text, b'-');
});
