//! The matching engine's loader on arbitrary bytes: block cuts at record boundaries, quoted
//! line breaks, short rows, odd dates, NIKs and region codes. It must return records or an
//! error, never panic, and every record it returns must be comparable with every other.
#![no_main]

use libfuzzer_sys::fuzz_target;

const CONFIG: &str = r#"
[input]
id = ["id"]
source = "src"
[[comparison]]
name = "nik"
kind = "nik"
column = "nik"
[[comparison]]
name = "name"
kind = "name"
column = "name"
term_frequency = true
[[comparison]]
name = "dob"
kind = "date"
column = "dob"
[[comparison]]
name = "region"
kind = "region"
column = "region"
[[comparison]]
name = "n"
kind = "numeric"
column = "n"
thresholds = [1, 5]
[[blocking]]
name = "name"
keys = ["phonetic(name)", "year(dob)"]
[[blocking]]
name = "region"
keys = ["prefix(region, 4)", "sorted_tokens(name)"]
"#;

fuzz_target!(|data: &[u8]| {
    let Ok(config) = dtsen_link::Config::parse(CONFIG) else {
        return;
    };
    let mut input = b"id,src,nik,name,dob,region,n\n".to_vec();
    input.extend_from_slice(data);
    if let Ok(set) = dtsen_link::data::load(&config, "fuzz", input.as_slice()) {
        let n = set.len().min(64);
        for a in 0..n {
            for b in 0..n {
                let _ = dtsen_link::block::pattern_of(&set, a, b);
            }
        }
        let _ = dtsen_link::block::candidate_pairs(&config, &set);
    }
});
