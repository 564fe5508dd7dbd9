//! The ingest bar on Kota Kediri (35.71), seed 7: every well-formed row accepted, every
//! deliberately malformed row rejected with the right reason code, the report reconciling.

use dtsen_core::RegionCode;
use dtsen_ingest::{ingest, Options};
use std::collections::HashMap;

#[test]
fn kota_kediri_is_read_without_losing_a_row() {
    let base =
        std::env::temp_dir().join(format!("dtsen-test-ingest-kediri-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let (src, out) = (base.join("sources"), base.join("ingested"));
    let cfg = dtsen_synth::Config::default();
    dtsen_synth::generate(&cfg, RegionCode::parse("35.71").ok(), &src, |_| {}).expect("generate");
    let opts = Options {
        as_of: cfg.as_of,
        ..Options::default()
    };
    let report = ingest(&src, &out, &opts, |_| {}).expect("ingest");

    for s in &report.sources {
        assert_eq!(s.status, "ok", "{}: {:?}", s.key, s.message);
        assert_eq!(
            s.read,
            s.accepted + s.rejected,
            "{} does not reconcile",
            s.key
        );
    }

    // Rejects by (source, line).
    let mut rejects: HashMap<(String, u64), String> = HashMap::new();
    let mut rdr = csv::Reader::from_path(out.join("rejects.csv")).expect("rejects.csv");
    for r in rdr.records() {
        let r = r.expect("reject row");
        rejects.insert(
            (r[0].to_owned(), r[2].parse().expect("line")),
            r[3].to_owned(),
        );
    }
    let mut rdr = csv::Reader::from_path(src.join("truth_records.csv")).expect("truth");
    let (mut malformed, mut rows) = (0, 0u64);
    for r in rdr.records() {
        let r = r.expect("truth row");
        rows += 1;
        let key = (r[0].to_owned(), r[1].parse::<u64>().expect("line"));
        let errors = &r[6];
        if &r[4] == "1" {
            assert!(
                !rejects.contains_key(&key),
                "well-formed {key:?} rejected as {:?}",
                rejects.get(&key)
            );
        } else {
            malformed += 1;
            let want = if errors.contains("malformed_columns") {
                "column_count"
            } else {
                "unclosed_quote"
            };
            assert_eq!(
                rejects.get(&key).map(String::as_str),
                Some(want),
                "malformed {key:?} ({errors})"
            );
        }
    }
    assert!(malformed > 50, "only {malformed} malformed rows to check");
    assert_eq!(
        rejects.len(),
        malformed,
        "every reject is a deliberately malformed row"
    );
    assert_eq!(report.read(), rows, "every source row was read once");
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("ingest-report.json")).expect("report"),
    )
    .expect("json");
    assert_eq!(
        json["sources"]["siak"]["reconciles"],
        serde_json::Value::Bool(true)
    );
    let _ = std::fs::remove_dir_all(&base);
}
