//! `dtsen link run` from the command line, whole and in partitions.

use std::process::Command;

const INPUT: &str = "\
source,line,nik,nik_status,name_std,birth_date,sex,region,kk,family_key
siak,2,3571011502490001,valid,AHMAD SUBAGYO,1949-02-15,1,3571011001,3571011801180001,
siak,3,3571014107800001,valid,SITI AMINAH,1980-07-01,2,3571011001,3571011801180001,
dtks,2,3571011502490001,valid,AHMAD SUBAGYO,1949-02-15,1,3572021001,3571011801180001,
p3ke,2,,missing,SRI WAHYUNI,1970-06-15,2,3573011001,,
";

fn dtsen(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dtsen"))
        .args(args)
        .output()
        .expect("dtsen runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn link_run_in_partitions_reports_them_and_writes_every_record() {
    let dir = std::env::temp_dir().join(format!("dtsen-cli-link-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let input = dir.join("persons-link.csv");
    std::fs::write(&input, INPUT).expect("input");
    let out = dir.join("out");
    let (input, out_s) = (input.to_string_lossy(), out.to_string_lossy());
    let (ok, stdout, stderr) = dtsen(&[
        "link",
        "run",
        "--input",
        &input,
        "--out",
        &out_s,
        "--partition-by",
        "region:4",
    ]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("partitions     3 by region:4 (largest 3571 with 3 records); 1 records"),
        "{stdout}"
    );
    assert!(stdout.contains("split "), "{stdout}");
    let clusters = std::fs::read_to_string(out.join("clusters.csv")).expect("clusters.csv");
    assert_eq!(clusters.lines().count(), 5, "{clusters}");
    assert!(clusters.contains("dtks:2,siak:2,"), "{clusters}");
    assert!(!out.join("partitions").exists(), "temporary files left");

    let (ok, _, stderr) = dtsen(&[
        "link",
        "run",
        "--input",
        &input,
        "--out",
        &out_s,
        "--partition-by",
        "region:0",
    ]);
    assert!(!ok);
    assert!(stderr.contains("COLUMN:N"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
