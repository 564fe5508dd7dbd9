//! `dtsen link run --partition-by`: records split by a column's prefix, linked one partition
//! at a time; a record with a valid identifier seen before goes where that identifier went.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use dtsen_link::partition::{link_partitioned, PartitionBy};
use dtsen_link::Config;

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dtsen-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// clusters.csv as record id → cluster id.
fn clusters(out: &Path) -> HashMap<String, String> {
    let mut rdr = csv::Reader::from_path(out.join("clusters.csv")).expect("clusters.csv");
    rdr.records()
        .map(|r| {
            let r = r.expect("row");
            (r[0].to_string(), r[1].to_string())
        })
        .collect()
}

const PERSONS: &str = r#"
[input]
id = ["source", "line"]
source = "source"
mode = "dedupe"
[[comparison]]
name = "nik"
kind = "nik"
column = "nik"
[[comparison]]
name = "name"
kind = "name"
column = "name"
[[comparison]]
name = "birth_date"
kind = "date"
column = "birth_date"
[[comparison]]
name = "region"
kind = "region"
column = "region"
[[blocking]]
name = "nik"
keys = ["nik"]
[[blocking]]
name = "name_birth_date"
keys = ["phonetic(name)", "birth_date"]
[[deterministic]]
name = "nik_name_birth_date"
require = { nik = "exact", name = "close", birth_date = "partial" }
valid = ["nik"]
[model]
u_sample_pairs = 10
"#;

#[test]
fn a_person_with_one_nik_is_linked_across_regencies_and_the_rest_stays_apart() {
    // Ahmad is registered in Kota Kediri (3571) and listed by DTKS in Kota Blitar (3572)
    // with his NIK: the DTKS record follows the NIK to 3571 and is linked. Siti is in both
    // regencies without a NIK: her records are in different partitions and never compared
    // (the cost of partitioning, measured in BENCHMARKS.md). One record is alone in 3573.
    let csv = "\
source,line,nik,name,birth_date,region
siak,2,3571011502490001,AHMAD SUBAGYO,1949-02-15,3571011001
dtks,2,,\"SITI\nAMINAH\",1980-07-01,3572021001
dtks,3,3571011502490001,AHMAD SUBAGYO,1949-02-15,3572021001
siak,3,,SITI AMINAH,1980-07-01,3571011001
p3ke,2,3573014107800001,\"WATI, SRI\",1980-07-01,3573011001
siak,4,3571015506700001,SRI WAHYUNI,1970-06-15,3571011002
";
    let dir = temp("partition-persons");
    let input = dir.join("persons.csv");
    std::fs::write(&input, csv).expect("write input");
    let config = Config::parse(PERSONS).expect("config");
    let by: PartitionBy = "region:4".parse().expect("key");
    let (out, work) = (dir.join("out"), dir.join("work"));
    let report = link_partitioned(&config, &[input], &by, None, &out, &work, &|| {})
        .expect("partitioned run");

    let parts = report.partitions.as_ref().expect("partition figures");
    let keys: Vec<(&str, usize)> = parts
        .partitions
        .iter()
        .map(|p| (p.key.as_str(), p.records))
        .collect();
    assert_eq!(keys, vec![("3571", 4), ("3572", 1), ("3573", 1)]);
    assert_eq!(parts.records_following_identifier, 1);
    assert_eq!(report.records, 6);
    assert_eq!(report.deterministic_links[0].1, 1);
    assert!(!work.exists(), "temporary files left");

    let c = clusters(&out);
    assert_eq!(c.len(), 6, "{c:?}");
    assert_eq!(c["siak:2"], c["dtks:3"], "one NIK, one person");
    assert_ne!(c["siak:3"], c["dtks:2"], "compared across partitions");
    assert_eq!(c["p3ke:2"], "p3ke:2", "alone in its partition");
    // The summed report is the one written.
    let written: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("link-report.json")).expect("report"),
    )
    .expect("report JSON");
    assert_eq!(written["records"], 6);
    assert_eq!(written["partitions"]["partitions"][0]["key"], "3571");
    assert!(out.join("model.json").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn files_stay_sources_in_every_partition() {
    // Agency B has no record in 3572: that partition still has B's file (a header), so the
    // sources are the same two files everywhere.
    let dir = temp("partition-files");
    let a = dir.join("agency_a.csv");
    let b = dir.join("agency_b.csv");
    std::fs::write(
        &a,
        "id,name,dob,village\n1,SITI AMINAH,1980-07-01,3571011001\n\
         2,BUDI SANTOSO,1975-01-02,3572011002\n3,AGUS SALIM,1990-05-05,3572011002\n",
    )
    .expect("a");
    std::fs::write(
        &b,
        "village,dob,name,id\n3571011001,1980-07-01,SITI AMINAH,x\n\
         3571011003,1990-05-05,AGUS SALIM,y\n",
    )
    .expect("b");
    let config = Config::parse(
        r#"
[input]
id = ["id"]
mode = "link"
[[comparison]]
name = "name"
kind = "name"
column = "name"
[[comparison]]
name = "dob"
kind = "date"
column = "dob"
[[blocking]]
name = "dob"
keys = ["dob"]
[model]
u_sample_pairs = 10
"#,
    )
    .expect("config");
    let by: PartitionBy = "village:4".parse().expect("key");
    let report = link_partitioned(
        &config,
        &[a, b],
        &by,
        None,
        &dir.join("out"),
        &dir.join("work"),
        &|| {},
    )
    .expect("partitioned run");
    assert_eq!(
        report.sources,
        vec![("agency_a".to_string(), 3), ("agency_b".to_string(), 2)]
    );
    assert_eq!(
        report.partitions.as_ref().map(|p| p.partitions.len()),
        Some(2)
    );
    assert_eq!(clusters(&dir.join("out")).len(), 5);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_missing_column_or_too_many_partitions_is_an_error_that_says_so() {
    let dir = temp("partition-errors");
    let input = dir.join("persons.csv");
    let mut csv = String::from("source,line,nik,name,birth_date,region\n");
    for i in 0..=dtsen_link::partition::MAX_PARTITIONS {
        csv.push_str(&format!("siak,{i},,NAME {i},1980-07-01,{i:010}\n"));
    }
    std::fs::write(&input, csv).expect("write");
    let config = Config::parse(PERSONS).expect("config");
    let run = |by: &str| {
        let by: PartitionBy = by.parse().expect("key");
        link_partitioned(
            &config,
            std::slice::from_ref(&input),
            &by,
            None,
            &dir.join("out"),
            &dir.join("work"),
            &|| {},
        )
        .map(|_| ())
        .map_err(|e| e.to_string())
    };
    let e = run("village:4").expect_err("no such column");
    assert!(
        e.contains("\"village\"") && e.contains("not in the header"),
        "{e}"
    );
    let e = run("region").expect_err("too many");
    assert!(e.contains("more than 1000 partitions"), "{e}");
    // Without the last two digits: 11 partitions, fine.
    run("region:8").expect("11 partitions");
    let _ = std::fs::remove_dir_all(&dir);
}
