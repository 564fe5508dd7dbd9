//! The matching engine on the registry's own records: a generated regency (not the
//! development seed), ingested, prepared and linked with the built-in configuration, measured
//! against the generator's truth; a saved model gives the same clusters; every pair can be
//! explained; conflicts are reviewed, never merged silently.

use std::collections::HashMap;
use std::path::Path;

use dtsen_core::RegionCode;
use dtsen_link::eval::{evaluate, EvalRecord};
use dtsen_link::{link, Config, Model, DTSEN_PERSONS_CONFIG};

fn load(config: &Config, path: &Path) -> dtsen_link::Dataset {
    let file = std::fs::File::open(path).expect("linking file");
    dtsen_link::data::load(config, "test", std::io::BufReader::new(file)).expect("load")
}

#[test]
fn a_generated_regency_is_matched_with_f1_above_0_99() {
    let base = std::env::temp_dir().join(format!("dtsen-test-link-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let (src, ing, input) = (base.join("src"), base.join("ing"), base.join("link-in.csv"));
    let cfg = dtsen_synth::Config {
        seed: 21,
        persons: Some(25_000),
        ..Default::default()
    };
    dtsen_synth::generate(&cfg, RegionCode::parse("35.77").ok(), &src, |_| {}).expect("generate");
    let opts = dtsen_ingest::Options {
        as_of: cfg.as_of,
        ..Default::default()
    };
    dtsen_ingest::ingest(&src, &ing, &opts, |_| {}).expect("ingest");
    let n = dtsen_link::registry::prepare(&ing, &input).expect("prepare");
    assert!(n > 50_000, "{n} records");

    let config = Config::parse(DTSEN_PERSONS_CONFIG).expect("built-in configuration");
    let data = load(&config, &input);
    let linkage = link(&config, &data, None);
    assert!(linkage.report.trained);
    assert!(
        linkage.report.deterministic_links[0].1 > 0,
        "the deterministic pass found nothing"
    );
    assert!(
        linkage.report.probabilistic_links > 0,
        "the probabilistic pass found nothing"
    );

    // Against the truth.
    let mut truth: HashMap<String, (String, String)> = HashMap::new();
    let mut rdr = csv::Reader::from_path(src.join("truth_records.csv")).expect("truth");
    for r in rdr.records() {
        let r = r.expect("truth row");
        if !r[2].is_empty() {
            truth.insert(
                format!("{}:{}", &r[0], &r[1]),
                (r[2].to_string(), r[0].to_string()),
            );
        }
    }
    let ids: Vec<String> = (0..data.len()).map(|i| data.id_str(i)).collect();
    let clusters: Vec<String> = linkage
        .clusters
        .cluster
        .iter()
        .map(|&c| c.to_string())
        .collect();
    let records: Vec<EvalRecord<'_>> = ids
        .iter()
        .zip(&clusters)
        .filter_map(|(id, c)| {
            truth.get(id).map(|(e, s)| EvalRecord {
                id,
                predicted: c,
                truth: e,
                source: s,
            })
        })
        .collect();
    assert_eq!(records.len(), data.len(), "every person record has a truth");
    let e = evaluate(&records, 0, 0, 100);
    assert!(e.pairwise.f1 >= 0.99, "pairwise F1 {:?}", e.pairwise);
    assert!(
        e.pairwise.precision >= 0.99,
        "pairwise precision {:?}",
        e.pairwise
    );

    // A saved model reloads and gives the same clusters.
    let text = serde_json::to_string(&linkage.model).expect("model JSON");
    let model = Model::load(&text, &config).expect("model reloads");
    let again = link(&config, &data, Some(model));
    assert!(!again.report.trained);
    assert_eq!(again.clusters.cluster, linkage.clusters.cluster);

    // Any pair explains itself, and the contributions add up to the weight.
    let (a, b) = (
        linkage.pairs[0].left as usize,
        linkage.pairs[0].right as usize,
    );
    let x = dtsen_link::explain(&config, &linkage.model, &data, a, b);
    let sum: f64 = x.prior_weight + x.contributions.iter().map(|c| c.weight).sum::<f64>();
    assert!(
        (sum - x.match_weight).abs() < 1e-9,
        "{sum} vs {}",
        x.match_weight
    );
    assert_eq!(x.contributions.len(), config.comparisons.len());
    let far = dtsen_link::explain(&config, &linkage.model, &data, 0, data.len() - 1);
    assert!(far.match_probability < 0.5 || far.deterministic_rule.is_some());

    // Outputs are written.
    let out = base.join("linked");
    dtsen_link::write_outputs(&config, &data, &linkage, &out).expect("write");
    for f in [
        "pairs.csv",
        "clusters.csv",
        "review.csv",
        "model.json",
        "link-report.json",
    ] {
        assert!(out.join(f).exists(), "{f}");
    }

    // Releasing the columns as the run goes (as `dtsen link run` does) changes nothing, and
    // what is left of the dataset writes the same files.
    let mut released = load(&config, &input);
    let lean = dtsen_link::link_releasing(&config, &mut released, None);
    assert_eq!(lean.pairs, linkage.pairs);
    assert_eq!(lean.weights, linkage.weights);
    assert_eq!(lean.methods, linkage.methods);
    assert_eq!(lean.clusters.cluster, linkage.clusters.cluster);
    assert_eq!(lean.clusters.cases.len(), linkage.clusters.cases.len());
    let out2 = base.join("linked-released");
    dtsen_link::write_outputs(&config, &released, &lean, &out2).expect("write");
    // So does writing pairs.csv while the clustering runs (`dtsen link run`, consolidation).
    let mut again = load(&config, &input);
    let out3 = base.join("linked-and-written");
    let written =
        dtsen_link::link_and_write(&config, &mut again, None, &out3).expect("link and write");
    assert_eq!(written.pairs, linkage.pairs);
    for f in ["pairs.csv", "clusters.csv", "review.csv", "model.json"] {
        let first = std::fs::read(out.join(f)).expect("first");
        assert_eq!(
            first,
            std::fs::read(out2.join(f)).expect("second"),
            "{f} differs"
        );
        assert_eq!(
            first,
            std::fs::read(out3.join(f)).expect("third"),
            "{f} differs"
        );
    }

    // In partitions, one district at a time: every record once, the review cases numbered
    // across partitions, the temporary files gone, and F1 within a little of the whole run
    // (what is lost: records of one person in two districts without a valid NIK in common).
    let by: dtsen_link::partition::PartitionBy = "region:7".parse().expect("partition key");
    let (out4, work) = (base.join("linked-in-parts"), base.join("parts-work"));
    let report = dtsen_link::partition::link_partitioned(
        &config,
        std::slice::from_ref(&input),
        &by,
        None,
        &out4,
        &work,
        &|| {},
    )
    .expect("partitioned run");
    assert!(!work.exists(), "temporary files left");
    let parts = report.partitions.as_ref().expect("partition figures");
    assert!(
        parts.partitions.len() > 1,
        "{} districts",
        parts.partitions.len()
    );
    assert_eq!(report.records, data.len());
    assert_eq!(
        parts.partitions.iter().map(|p| p.records).sum::<usize>(),
        data.len()
    );
    assert!(report.trained);
    let mut rdr = csv::Reader::from_path(out4.join("clusters.csv")).expect("clusters.csv");
    let mut seen: HashMap<String, (String, String)> = HashMap::new();
    for r in rdr.records() {
        let r = r.expect("clusters row");
        let old = seen.insert(r[0].to_string(), (r[1].to_string(), r[2].to_string()));
        assert!(old.is_none(), "{} twice", &r[0]);
    }
    assert_eq!(seen.len(), data.len());
    let mut rdr = csv::Reader::from_path(out4.join("review.csv")).expect("review.csv");
    let mut cases: HashMap<String, usize> = HashMap::new();
    for r in rdr.records() {
        let r = r.expect("review row");
        for id in [&r[3], &r[4]] {
            assert_eq!(seen[id].1, r[0], "record {id} of review case {}", &r[0]);
        }
        cases.insert(r[0].to_string(), r[2].parse().expect("records"));
    }
    assert_eq!(
        cases.len(),
        report.review_distinct_identifiers + report.review_weak_bridges
    );
    for (case, records) in &cases {
        let marked = seen.values().filter(|(_, r)| r == case).count();
        assert_eq!(marked, *records, "review case {case}");
    }
    let records: Vec<EvalRecord<'_>> = seen
        .iter()
        .map(|(id, (c, _))| {
            let (e, s) = &truth[id];
            EvalRecord {
                id,
                predicted: c,
                truth: e,
                source: s,
            }
        })
        .collect();
    let parted = evaluate(&records, 0, 0, 100);
    assert!(
        parted.pairwise.f1 >= 0.99 && parted.pairwise.f1 >= e.pairwise.f1 - 0.005,
        "in partitions {:?}, whole {:?}",
        parted.pairwise,
        e.pairwise
    );
    let _ = std::fs::remove_dir_all(&base);
}

#[test]
fn two_civil_registry_niks_are_sent_to_review_not_merged() {
    // Two SIAK people born the same day in one village with the same name (NIKs differ only
    // in the serial), and a DTKS record without a NIK that matches both.
    let csv = "\
source,line,nik,nik_status,name_std,birth_date,sex,region,kk,family_key
siak,2,3571011502490001,valid,AHMAD SUBAGYO,1949-02-15,1,3571011001,3571011801180001,
siak,3,3571011502490002,valid,AHMAD SUBAGYO,1949-02-15,1,3571011001,3571011801180002,
dtks,2,,missing,AHMAD SUBAGYO,1949-02-15,1,3571011001,3571011801180001,
siak,4,3571014107800001,valid,SITI AMINAH,1980-07-01,2,3571011001,3571011801180003,
";
    let mut text = String::from(DTSEN_PERSONS_CONFIG);
    // Small data: a small u sample, and no minimum block issues.
    text = text.replace("u_sample_pairs = 1000000", "u_sample_pairs = 10");
    let config = Config::parse(&text).expect("config");
    let data = dtsen_link::data::load(&config, "inline", csv.as_bytes()).expect("load");
    let pairs = dtsen_link::block::candidate_pairs(&config, &data).0;
    assert!(
        pairs.iter().any(|p| (p.left, p.right) == (0, 1)),
        "the twins are compared"
    );
    // Whatever the model, a link between the two SIAK NIKs must not merge them silently.
    let edges: Vec<dtsen_link::cluster::Edge> = pairs
        .iter()
        .filter(|p| p.left < 3 && p.right < 3)
        .map(|p| dtsen_link::cluster::Edge {
            a: p.left,
            b: p.right,
            p: 0.95,
            w: 4.25,
        })
        .collect();
    let nik = &data.features[0];
    let confirmed = [3571011502490001u64, 3571011502490002, 3571014107800001];
    let ids = dtsen_link::cluster::Identifiers {
        feature: nik,
        confirmed: Some(&confirmed),
    };
    let c = dtsen_link::cluster::cluster(data.len(), &edges, Some(ids), 0.99);
    assert_ne!(c.cluster[0], c.cluster[1], "two registered people merged");
    assert_eq!(c.cases.len(), 1);
    assert_eq!(
        c.cases[0].reason,
        dtsen_link::ReviewReason::DistinctIdentifiers
    );
    assert!(c.review[0] != 0 && c.review[1] != 0 && c.review[2] != 0);
    // And the NIK comparison calls their NIKs a disagreement, explained.
    let model = link(&config, &data, None).model;
    let x = dtsen_link::explain(&config, &model, &data, 0, 1);
    assert_eq!(x.contributions[0].level, "else");
    assert!(x.contributions[0]
        .note
        .as_deref()
        .is_some_and(|n| n.contains("different serial")));
}

#[test]
fn two_files_are_linked_across_and_not_within() {
    // Two agencies' files with their own column order; each file is a source.
    let a = "\
id,name,dob,village
1,SITI AMINAH,1980-07-01,3571011001
2,SITI AMINAH,1980-07-01,3571011001
3,BUDI SANTOSO,1975-01-02,3571011002
";
    let b = "\
village,dob,name,id
3571011001,1980-07-01,SITI AMINAH,x
3571011002,02-01-1975,BUDI SANTOSA,y
3571011003,1990-05-05,AGUS SALIM,z
";
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
[[comparison]]
name = "village"
kind = "region"
column = "village"
[[blocking]]
name = "village"
keys = ["village"]
[model]
u_sample_pairs = 100
"#,
    )
    .expect("config");
    let inputs = vec![
        dtsen_link::data::Input::bytes("agency_a", a.as_bytes()),
        dtsen_link::data::Input::bytes("agency_b", b.as_bytes()),
    ];
    let data = dtsen_link::data::load_files(&config, inputs).expect("load");
    assert_eq!(data.len(), 6);
    assert_eq!(data.source_names, vec!["agency_a", "agency_b"]);
    assert_eq!(
        data.display(1, 4),
        "1975-01-02",
        "DD-MM-YYYY read in the second file"
    );
    let (pairs, _) = dtsen_link::block::candidate_pairs(&config, &data);
    // Records 1 and 2 (same file, same village) are never compared; each is compared with x.
    assert!(pairs
        .iter()
        .all(|p| data.sources[p.left as usize] != data.sources[p.right as usize]));
    let mut found: Vec<(String, String)> = pairs
        .iter()
        .map(|p| (data.id_str(p.left as usize), data.id_str(p.right as usize)))
        .collect();
    found.sort();
    assert_eq!(
        found,
        vec![
            ("1".into(), "x".into()),
            ("2".into(), "x".into()),
            ("3".into(), "y".into())
        ]
    );
}
