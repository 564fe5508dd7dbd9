//! The foundation bar on Kota Kediri (35.71), seed 7: every file, the population size, region
//! codes that resolve, NIKs that parse back to the truth, coherent families, identical bytes
//! on a second run.

use dtsen_core::{Date, Level, Nik, RegionCode, RegionTable};
use dtsen_synth::{generate, Config, Source};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("dtsen-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn kediri() -> RegionCode {
    RegionCode::parse("35.71").expect("valid code")
}

/// Lines of a file with their line numbers (the header is line 1).
fn lines(path: &Path) -> Vec<(u64, Vec<u8>)> {
    let bytes = std::fs::read(path).expect("file exists");
    bytes
        .split(|&c| c == b'\n')
        .filter(|l| !l.is_empty())
        .enumerate()
        .map(|(i, l)| (i as u64 + 1, l.to_vec()))
        .collect()
}

/// One well-formed line parsed as CSV with the given separator.
fn fields(line: &[u8], sep: u8) -> Vec<String> {
    if !line.contains(&b'"') {
        return line
            .split(|&c| c == sep)
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect();
    }
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(sep)
        .from_reader(line);
    let rec = rdr
        .byte_records()
        .next()
        .expect("one record")
        .expect("parses");
    rec.iter()
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect()
}

struct Truth {
    /// (source, line) → (person id, well formed, nik valid).
    records: HashMap<(String, u64), (String, bool, bool)>,
    /// person id → (birth date, sex code, nik).
    persons: HashMap<String, (String, String, String)>,
}

fn truth(dir: &Path) -> Truth {
    let mut records = HashMap::new();
    for (n, l) in lines(&dir.join("truth_records.csv")).into_iter().skip(1) {
        let f = fields(&l, b',');
        assert_eq!(f.len(), 7, "truth_records line {n}");
        let line: u64 = f[1].parse().expect("record key is a line number");
        records.insert(
            (f[0].clone(), line),
            (f[2].clone(), f[4] == "1", f[5] == "1"),
        );
    }
    let mut persons = HashMap::new();
    for (_, l) in lines(&dir.join("truth_persons.csv")).into_iter().skip(1) {
        let f = fields(&l, b',');
        persons.insert(f[0].clone(), (f[4].clone(), f[5].clone(), f[2].clone()));
    }
    Truth { records, persons }
}

#[test]
fn kota_kediri_meets_the_foundation_bar() {
    let dir = temp_dir("kediri");
    let cfg = Config::default();
    let report = generate(&cfg, Some(kediri()), &dir, |_| {}).expect("generation succeeds");
    let regions = RegionTable::official();
    let as_of = cfg.as_of;

    for s in Source::ALL {
        assert!(dir.join(s.file()).exists(), "{} missing", s.file());
    }
    let siak = lines(&dir.join("siak_penduduk.csv"));
    let people = siak.len() - 1;
    assert!(
        (280_000..=310_000).contains(&people),
        "SIAK holds {people} people"
    );
    assert!(report.persons >= people as u64);

    let t = truth(&dir);
    let total_rows: usize = Source::ALL
        .iter()
        .filter(|s| !s.key().starts_with("truth_"))
        .map(|s| lines(&dir.join(s.file())).len() - 1)
        .sum();
    assert_eq!(
        t.records.len(),
        total_rows,
        "every source row has one truth row"
    );

    // (file, separator, region columns: either one code column or the four part columns)
    let layouts: [(Source, u8, &[&str]); 6] = [
        (
            Source::Siak,
            b',',
            &["NO_PROP", "NO_KAB", "NO_KEC", "NO_KEL"],
        ),
        (
            Source::RegsosekKeluarga,
            b',',
            &["r101", "r102", "r103", "r104"],
        ),
        (Source::Dtks, b';', &["KODE_WILAYAH"]),
        (Source::P3ke, b'|', &["KODE_DESA"]),
        (Source::Susenas, b',', &["kode_kelurahan_desa"]),
        (Source::TruthFamilies, b',', &["kode_desa"]),
    ];
    let mut checked_niks = 0;
    for (source, sep, cols) in layouts {
        let all = lines(&dir.join(source.file()));
        let header = fields(&all[0].1, sep);
        let idx: Vec<usize> = cols
            .iter()
            .map(|c| header.iter().position(|h| h == c).expect("column"))
            .collect();
        let nik_col = header.iter().position(|h| h == "NIK" || h == "r403");
        for (n, line) in all.iter().skip(1) {
            let rec = t.records.get(&(source.key().to_owned(), *n));
            if rec.is_some_and(|r| !r.1) {
                continue; // malformed on purpose
            }
            let f = fields(line, sep);
            let code = if idx.len() == 4 {
                RegionCode::from_parts(&f[idx[0]], &f[idx[1]], &f[idx[2]], &f[idx[3]])
            } else {
                RegionCode::parse(&f[idx[0]])
            };
            let code = code.unwrap_or_else(|e| panic!("{} line {n}: {e}", source.file()));
            assert!(
                regions.contains(code),
                "{} line {n}: {code} not in the table",
                source.file()
            );
            if let (Some(c), Some((pid, _, true))) = (nik_col, rec) {
                let (birth, sex, true_nik) = &t.persons[pid];
                let nik = Nik::parse(&f[c], regions, as_of)
                    .unwrap_or_else(|e| panic!("{} line {n}: {e}", source.file()));
                assert_eq!(&nik.to_string(), true_nik);
                assert_eq!(
                    nik.birth_date_on(as_of).map(|d| d.to_string()).as_deref(),
                    Some(birth.as_str())
                );
                assert_eq!(nik.sex().code().to_string(), *sex);
                let district = nik.district().expect("district");
                assert!(
                    regions.contains(district),
                    "NIK district {district} not current"
                );
                assert_eq!(district.ancestor(Level::Regency), Some(kediri()));
                checked_niks += 1;
            }
        }
    }
    assert!(checked_niks > 250_000, "only {checked_niks} NIKs checked");

    // Every true NIK is unique.
    let mut seen = HashSet::new();
    for (_, _, nik) in t.persons.values() {
        if !nik.is_empty() {
            assert!(seen.insert(nik.clone()), "NIK {nik} given twice");
        }
    }

    families_hang_together(&siak, as_of);

    // A second run gives identical bytes.
    let again = temp_dir("kediri-again");
    generate(&cfg, Some(kediri()), &again, |_| {}).expect("second run");
    for file in Source::ALL
        .iter()
        .map(|s| s.file())
        .chain(["truth_records.csv"])
    {
        let a = std::fs::read(dir.join(file)).expect("first");
        let b = std::fs::read(again.join(file)).expect("second");
        assert!(a == b, "{file} differs between two runs with the same seed");
    }
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&again);
}

/// Heads first, spouses married, children younger than the head, parents older.
fn families_hang_together(siak: &[(u64, Vec<u8>)], as_of: Date) {
    let mut by_kk: HashMap<String, Vec<(u32, String, String)>> = HashMap::new();
    for (_, line) in siak.iter().skip(1) {
        let f = fields(line, b',');
        if f.len() != 21 {
            continue;
        }
        by_kk.entry(f[1].clone()).or_default().push((
            f[6].parse().unwrap_or(0),
            f[7].clone(),
            f[4].clone(),
        ));
    }
    let mut bad = 0;
    for members in by_kk.values() {
        let Some(head) = members.first() else {
            continue;
        };
        if head.0 != 1 {
            bad += 1;
            continue;
        }
        let head_birth = Date::parse_iso(&head.2).expect("birth date");
        for m in &members[1..] {
            let birth = Date::parse_iso(&m.2).expect("birth date");
            let gap = head_birth.age_on(birth);
            match m.0 {
                2 | 3 => assert_eq!(m.1, "2", "spouse not married"),
                4 => assert!(
                    gap >= 15 || birth.age_on(as_of) < 0,
                    "child {gap} years younger than head"
                ),
                6 => assert!(gap >= 30, "grandchild only {gap} years younger than head"),
                7 | 8 => assert!(gap <= -15, "parent only {} years older", -gap),
                _ => {}
            }
        }
    }
    // Malformed rows (about 1 in 2,000) may hide a head; allow for them.
    assert!(bad < 100, "{bad} families do not list their head first");
}
