//! The registry's own linking input: the person records `dtsen ingest` wrote (SIAK, Regsosek
//! members, DTKS, P3KE), as one CSV for `configs/link/dtsen-persons.toml`. Regsosek members
//! carry their village and KK number only on their family's row, so they take them from
//! `families.tsv` here.

use std::collections::HashMap;
use std::path::Path;

use crate::LinkError;

/// The columns of the linking file, in order.
pub const PREPARED_COLUMNS: [&str; 10] = [
    "source",
    "line",
    "nik",
    "nik_status",
    "name_std",
    "birth_date",
    "sex",
    "region",
    "kk",
    "family_key",
];

fn tsv(dir: &Path, name: &str) -> Result<csv::Reader<std::fs::File>, LinkError> {
    let path = dir.join(name);
    csv::ReaderBuilder::new()
        .delimiter(b'\t')
        .quoting(false)
        .flexible(true)
        .from_path(&path)
        .map_err(|e| LinkError::Input(format!("{}: {e} (run dtsen ingest first)", path.display())))
}

fn column(header: &csv::StringRecord, name: &str, file: &str) -> Result<usize, LinkError> {
    header.iter().position(|h| h == name).ok_or_else(|| {
        LinkError::Input(format!("{file}: no column {name:?}; is it ingest output?"))
    })
}

fn read_error(file: &str) -> impl Fn(csv::Error) -> LinkError + '_ {
    move |e| {
        let line = e.position().map_or(0, |p| p.line());
        LinkError::Input(format!("{file}, line {line}: {e}"))
    }
}

/// Joins `persons.tsv` with `families.tsv` of an ingest directory into the linking CSV `out`.
/// Returns the number of records written. Memory: one entry per Regsosek family.
pub fn prepare(ingested: &Path, out: &Path) -> Result<u64, LinkError> {
    let mut families = HashMap::new();
    let mut rdr = tsv(ingested, "families.tsv")?;
    let h = rdr.headers().map_err(read_error("families.tsv"))?.clone();
    let (fk, fkk, freg) = (
        column(&h, "family_key", "families.tsv")?,
        column(&h, "kk", "families.tsv")?,
        column(&h, "region", "families.tsv")?,
    );
    for row in rdr.records() {
        let row = row.map_err(read_error("families.tsv"))?;
        let get = |k: usize| row.get(k).unwrap_or("").to_string();
        families.insert(get(fk), (get(fkk), get(freg)));
    }
    let mut rdr = tsv(ingested, "persons.tsv")?;
    let h = rdr.headers().map_err(read_error("persons.tsv"))?.clone();
    let cols: Vec<usize> = PREPARED_COLUMNS
        .iter()
        .map(|c| column(&h, c, "persons.tsv"))
        .collect::<Result<_, _>>()?;
    let io = |e: csv::Error| LinkError::Input(format!("{}: {e}", out.display()));
    let mut w = csv::Writer::from_path(out).map_err(io)?;
    w.write_record(PREPARED_COLUMNS).map_err(io)?;
    let mut n = 0u64;
    for row in rdr.records() {
        let row = row.map_err(read_error("persons.tsv"))?;
        let mut values: Vec<&str> = cols.iter().map(|&k| row.get(k).unwrap_or("")).collect();
        if values[0] == "regsosek_anggota" {
            if let Some((kk, region)) = families.get(values[9]) {
                if values[8].is_empty() {
                    values[8] = kk;
                }
                if values[7].is_empty() {
                    values[7] = region;
                }
            }
        }
        w.write_record(&values).map_err(io)?;
        n += 1;
    }
    w.flush().map_err(|source| LinkError::Io {
        path: out.display().to_string(),
        source,
    })?;
    Ok(n)
}
