//! A corpus of bad inputs: every one gets a clear file-level error or per-row rejects with a
//! reason, never a panic, and the counts always reconcile.

use dtsen_ingest::{ingest, Options, Report, SourceReport};
use proptest::prelude::*;
use std::path::PathBuf;

const SIAK_HEADER: &str = "NIK,NO_KK,NAMA_LGKP,TMPT_LHR,TGL_LHR,JENIS_KLMIN,STAT_HBKEL,STAT_KWN,AGAMA,PDDK_AKH,JENIS_PKRJN,NO_PROP,NO_KAB,NO_KEC,NO_KEL,ALAMAT,NO_RT,NO_RW,STATUS_HIDUP,TGL_MATI,TGL_UPDATE";
const SIAK_ROW: &str = "3571014503870002,3571012003150007,SITI AMINAH,KEDIRI,1987-03-05,2,3,2,1,5,2,35,71,1,1001,JL. MAWAR 1,001,002,HIDUP,,2025-01-01";

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("dtsen-bad-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(d.join("src")).expect("temp dir");
    d
}

/// Ingests one file and returns the report of its source.
fn run(name: &str, file: &str, bytes: &[u8]) -> (Report, SourceReport) {
    let d = dir(name);
    std::fs::write(d.join("src").join(file), bytes).expect("write");
    let report =
        ingest(&d.join("src"), &d.join("out"), &Options::default(), |_| {}).expect("ingest runs");
    for s in &report.sources {
        assert_eq!(
            s.read,
            s.accepted + s.rejected,
            "{name}: {} does not reconcile",
            s.key
        );
    }
    let stem = file.split('.').next().unwrap_or_default();
    let key = if stem == "siak_penduduk" {
        "siak"
    } else {
        stem
    };
    let sr = report
        .sources
        .iter()
        .find(|s| s.key == key)
        .cloned()
        .expect("source in report");
    let _ = std::fs::remove_dir_all(&d);
    (report, sr)
}

fn rejects(sr: &SourceReport, reason: &str) -> u64 {
    sr.rejects_by_reason.get(reason).copied().unwrap_or(0)
}

#[test]
fn a_truncated_file_loses_only_its_cut_row() {
    let text = format!("{SIAK_HEADER}\n{SIAK_ROW}\n{SIAK_ROW}\n3571014503870002,357101200315");
    let (_, sr) = run("truncated", "siak_penduduk.csv", text.as_bytes());
    assert_eq!((sr.status.as_str(), sr.accepted, sr.rejected), ("ok", 2, 1));
    assert_eq!(rejects(&sr, "column_count"), 1);
}

#[test]
fn binary_garbage_is_refused_as_a_file() {
    let garbage: Vec<u8> = (0..50_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let (report, sr) = run("garbage", "siak_penduduk.csv", &garbage);
    assert_eq!(sr.status, "unreadable");
    assert!(
        sr.message
            .iter()
            .any(|m| m.contains("binary") || m.contains("header")),
        "{:?}",
        sr.message
    );
    assert_eq!(report.unreadable().len(), 1);
}

#[test]
fn a_file_with_another_separator_is_read_and_noted() {
    let text = format!("{SIAK_HEADER}\n{SIAK_ROW}\n").replace(',', ";");
    let (_, sr) = run("semicolon", "siak_penduduk.csv", text.as_bytes());
    assert_eq!((sr.status.as_str(), sr.accepted), ("ok", 1));
    assert_eq!(sr.separator, ";");
    assert!(sr.message.iter().any(|m| m.contains("separator")));
    let text = format!("{SIAK_HEADER}\n{SIAK_ROW}\n").replace(',', "#");
    let (_, sr) = run("hash", "siak_penduduk.csv", text.as_bytes());
    assert_eq!(sr.status, "unreadable");
    assert!(
        sr.message[0].contains("required columns"),
        "{:?}",
        sr.message
    );
}

#[test]
fn mixed_encodings_are_read_and_flagged() {
    let mut bytes = format!(
        "{SIAK_HEADER}\n{}\n",
        SIAK_ROW.replace("JL. MAWAR 1", "JL. MA\u{2019}RUF")
    )
    .into_bytes();
    bytes.extend_from_slice(
        SIAK_ROW
            .replace("JL. MAWAR 1", "JL. MA\u{92}RUF")
            .as_bytes(),
    );
    // Put a Windows-1252 byte in place of the UTF-8 character on the second row.
    let pos = bytes
        .windows(2)
        .rposition(|w| w == [0xC2, 0x92])
        .expect("marker");
    bytes.splice(pos..pos + 2, [0x92u8]);
    bytes.push(b'\n');
    let (_, sr) = run("mixed", "siak_penduduk.csv", &bytes);
    assert_eq!((sr.status.as_str(), sr.accepted), ("ok", 2));
    assert_eq!(sr.warnings_by_reason.get("encoding_fallback"), Some(&1));
}

#[test]
fn a_one_megabyte_line_is_rejected_and_the_next_line_read() {
    let huge = format!("{},{}", SIAK_ROW, "X".repeat(1 << 20));
    let text = format!("{SIAK_HEADER}\n{huge}\n{SIAK_ROW}\n");
    let (_, sr) = run("huge", "siak_penduduk.csv", text.as_bytes());
    assert_eq!(rejects(&sr, "line_too_long"), 1);
    assert_eq!(sr.accepted, 1);
}

#[test]
fn nul_bytes_reject_their_line_or_the_whole_file() {
    let mut text = format!("{SIAK_HEADER}\n").into_bytes();
    for _ in 0..2000 {
        text.extend_from_slice(SIAK_ROW.as_bytes());
        text.push(b'\n');
    }
    text.extend_from_slice(b"3571014503870002,\0\0\0\n");
    let (_, sr) = run("nul-late", "siak_penduduk.csv", &text);
    assert_eq!((rejects(&sr, "binary_data"), sr.accepted), (1, 2000));
    let (_, sr) = run("nul-early", "siak_penduduk.csv", b"NIK,\0NO_KK\n1,2\n");
    assert_eq!(sr.status, "unreadable");
}

#[test]
fn header_only_and_empty_files() {
    let (_, sr) = run(
        "header-only",
        "siak_penduduk.csv",
        format!("{SIAK_HEADER}\n").as_bytes(),
    );
    assert_eq!((sr.status.as_str(), sr.read), ("ok", 0));
    let (_, sr) = run("empty", "siak_penduduk.csv", b"");
    assert_eq!(sr.status, "unreadable");
    assert!(sr.message[0].contains("empty"));
}

#[test]
fn duplicate_header_names_are_noted_and_the_first_used() {
    let text = format!("{SIAK_HEADER},NIK\n{SIAK_ROW},9999999999999999\n");
    let (_, sr) = run("dup", "siak_penduduk.csv", text.as_bytes());
    assert_eq!((sr.status.as_str(), sr.accepted), ("ok", 1));
    assert!(
        sr.message
            .iter()
            .any(|m| m.contains("duplicate column 'NIK'")),
        "{:?}",
        sr.message
    );
}

#[test]
fn a_quote_never_closed_costs_one_row() {
    let broken = SIAK_ROW.replace("SITI AMINAH", "\"SITI AMINAH");
    let text = format!("{SIAK_HEADER}\n{broken}\n{SIAK_ROW}\n{SIAK_ROW}\n\"{SIAK_ROW}\n");
    let (_, sr) = run("quote", "siak_penduduk.csv", text.as_bytes());
    assert_eq!(rejects(&sr, "unclosed_quote"), 2);
    assert_eq!(sr.accepted, 2);
}

#[test]
fn gzip_bom_and_crlf_are_read_transparently() {
    use std::io::Write;
    let text = format!("\u{FEFF}{SIAK_HEADER}\r\n{SIAK_ROW}\r\n{SIAK_ROW}\r\n");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(text.as_bytes()).expect("gzip");
    let bytes = gz.finish().expect("gzip");
    let (_, sr) = run("gz", "siak_penduduk.csv.gz", &bytes);
    assert_eq!(
        (sr.status.as_str(), sr.accepted, sr.encoding.as_str()),
        ("ok", 2, "utf-8-bom")
    );
}

#[test]
fn a_missing_source_is_reported_not_fatal() {
    let (report, _) = run(
        "only-siak",
        "siak_penduduk.csv",
        format!("{SIAK_HEADER}\n{SIAK_ROW}\n").as_bytes(),
    );
    let dtks = report
        .sources
        .iter()
        .find(|s| s.key == "dtks")
        .expect("dtks in report");
    assert_eq!(dtks.status, "missing");
    assert!(report.unreadable().is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn any_bytes_after_a_header_never_panic(body in proptest::collection::vec(any::<u8>(), 0..4000)) {
        let mut bytes = format!("{SIAK_HEADER}\n").into_bytes();
        bytes.extend_from_slice(&body);
        let (_, sr) = run("prop", "siak_penduduk.csv", &bytes);
        prop_assert_eq!(sr.read, sr.accepted + sr.rejected);
    }

    #[test]
    fn rows_of_text_never_panic(rows in proptest::collection::vec("[0-9A-Za-z,\" ;|\\-/.]{0,120}", 0..30)) {
        let text = format!("{SIAK_HEADER}\n{}\n", rows.join("\n"));
        let (_, sr) = run("prop-rows", "siak_penduduk.csv", text.as_bytes());
        prop_assert_eq!(sr.read, sr.accepted + sr.rejected);
    }
}

#[test]
fn what_a_chunk_holds_is_seen_in_every_chunk() {
    // Records are checked a chunk at a time for UTF-8, NUL bytes and quotes; a quoted comma,
    // a Windows-1252 byte and a NUL far from the file's start must each still be seen.
    let mut text = format!("{SIAK_HEADER}\n").into_bytes();
    for k in 0..9000 {
        let row = match k {
            3001 => SIAK_ROW.replace("SITI AMINAH", "\"AMINAH, SITI\""),
            5002 => SIAK_ROW.replace("SITI AMINAH", "MA\u{92}RUF"),
            7003 => SIAK_ROW.replace("SITI AMINAH", "SITI\u{0}AMINAH"),
            _ => SIAK_ROW.to_owned(),
        };
        let mut bytes = row.into_bytes();
        if k == 5002 {
            // The character written as the single Windows-1252 byte, not as UTF-8.
            let at = bytes
                .windows(2)
                .position(|w| w == [0xC2, 0x92])
                .expect("the marker");
            bytes.splice(at..at + 2, [0x92]);
        }
        text.extend_from_slice(&bytes);
        text.push(b'\n');
    }
    let (_, sr) = run("chunks", "siak_penduduk.csv", &text);
    assert_eq!(
        (sr.accepted, sr.rejected),
        (8999, 1),
        "{:?}",
        sr.rejects_by_reason
    );
    assert_eq!(rejects(&sr, "binary_data"), 1);
    assert_eq!(sr.warnings_by_reason.get("encoding_fallback"), Some(&1));
}

#[test]
fn the_conversion_alone_reads_what_ingest_reads() {
    // Good rows, a cut row, a broken quote, 5,000 rows over several chunks.
    let mut text = format!("{SIAK_HEADER}\n");
    for _ in 0..5000 {
        text.push_str(SIAK_ROW);
        text.push('\n');
    }
    text.push_str("3571014503870002,\"broken\n3571014503870002,357101200315\n");
    let (_, sr) = run("alone", "siak_penduduk.csv", text.as_bytes());
    let as_of = Options::default().as_of;
    let f = dtsen_ingest::convert_alone("siak_penduduk.csv", text.as_bytes(), as_of)
        .expect("a source file");
    assert_eq!(f.records, sr.read);
    assert_eq!(f.bytes as usize, text.len() - SIAK_HEADER.len() - 1);
    assert!(f.seconds > 0.0);
    assert!(dtsen_ingest::convert_alone("notes.csv", text.as_bytes(), as_of).is_none());
}
