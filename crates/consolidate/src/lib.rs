//! Consolidation (*konsolidasi*): from the four sources to one registry snapshot.
//!
//! The order follows Peraturan BPS 6/2025 (brief §1.6): match (*pemadanan*) at person level with
//! the matching engine (a NIK pass, then probabilistic), at family level (families anchored on
//! SIAK's KK, Regsosek's family attached through its members) and person–family level (a person
//! in two families is resolved in SIAK's favour and reported); update the variables (golden
//! records by survivorship rules kept as data, every value with its source, disagreements
//! kept); validate NIK and KK against SIAK (records that cannot be validated leave the snapshot
//! and go back to their provider with the reason); then the snapshot.
//!
//! [`consolidate`] does the work in memory on an ingest directory; [`output`] writes the return
//! files, the field-check list and the report; [`persist`] writes the snapshot into the store;
//! [`export`] writes the DTSEN export files from a stored snapshot.

pub mod batch;
pub mod export;
pub mod output;
pub mod partition;
pub mod persist;
pub mod ranking;
pub mod rules;
pub mod table;

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use dtsen_core::{Date, Nik};
use dtsen_link::{config::Config, data, link_and_write, Model};

pub use rules::{Entity, FieldRule, Rules};
use table::{attr, Table};

/// What can go wrong.
#[derive(Debug, thiserror::Error)]
pub enum ConsolidateError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The ingest output is not what this version expects.
    #[error("input: {0}")]
    Input(String),
    /// The rules file is not usable.
    #[error("rules: {0}")]
    Rules(String),
    /// The matching engine failed.
    #[error("matching: {0}")]
    Link(#[from] dtsen_link::LinkError),
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] dtsen_store::StoreError),
    /// A snapshot request is not usable.
    #[error("snapshot: {0}")]
    Snapshot(String),
}

/// Result of consolidation operations.
pub type Result<T> = std::result::Result<T, ConsolidateError>;

/// The sources whose records consolidation merges.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    /// SIAK (Dukcapil), the authority for identity.
    Siak,
    /// Regsosek 2022 members.
    RegsosekAnggota,
    /// DTKS (Kemensos).
    Dtks,
    /// P3KE (Kemenko PMK).
    P3ke,
    /// Regsosek 2022 families.
    RegsosekKeluarga,
}

impl Source {
    /// Every source, in order of trust for identity.
    pub const ALL: [Source; 5] = [
        Source::Siak,
        Source::RegsosekAnggota,
        Source::Dtks,
        Source::P3ke,
        Source::RegsosekKeluarga,
    ];

    /// The key used in files (`siak`, `regsosek_anggota`, ...).
    pub fn key(self) -> &'static str {
        match self {
            Source::Siak => "siak",
            Source::RegsosekAnggota => "regsosek_anggota",
            Source::Dtks => "dtks",
            Source::P3ke => "p3ke",
            Source::RegsosekKeluarga => "regsosek_keluarga",
        }
    }

    /// The source of a key.
    pub fn from_key(key: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|s| s.key() == key)
    }

    /// Whether its records are persons (all but Regsosek's family file).
    pub fn is_person_record(self) -> bool {
        self != Source::RegsosekKeluarga
    }

    fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// How to consolidate.
#[derive(Clone, Debug)]
pub struct Options {
    /// Snapshot id (`2026Q1`).
    pub snapshot: String,
    /// Reference date: ages, memberships and history are counted to it.
    pub as_of: Date,
    /// Survivorship and completeness rules.
    pub rules: Rules,
    /// A trained matching model to reuse (the previous run's), instead of training again.
    pub model: Option<Model>,
}

/// The last day of a quarter named `YYYYQn`.
pub fn snapshot_date(id: &str) -> Option<Date> {
    let (y, q) = id.split_once(['Q', 'q'])?;
    let year: i32 = y.parse().ok()?;
    let q: u32 = q.parse().ok()?;
    if !(1..=4).contains(&q) || !(1900..=2999).contains(&year) {
        return None;
    }
    let month = q * 3;
    Date::new(year, month, dtsen_core::date::days_in_month(year, month)).ok()
}

/// Internal ids already given out (from the store), so persons and families keep theirs across
/// snapshots.
#[derive(Clone, Debug, Default)]
pub struct KnownIds {
    /// Person id by valid NIK.
    pub persons: HashMap<u64, i64>,
    /// Family id by KK number.
    pub families: HashMap<String, i64>,
    /// The next free person id.
    pub next_person: i64,
    /// The next free family id.
    pub next_family: i64,
}

/// A field value and where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Value {
    /// The value as the source gave it (after ingest's standardisation of codes).
    pub text: String,
    /// Which source.
    pub source: Source,
    /// The record: row index in `persons.tsv` (person sources) or `families.tsv`.
    pub record: u32,
}

/// Flags from the programme data and the supporting lists.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Flags {
    /// Civil servant, military, police or state-company staff: the list's `JENIS`.
    pub asn: Option<String>,
    /// Active national health-insurance contribution recipient (PBI APBN).
    pub pbi_nas: bool,
    /// Active local-government PBI (APBD).
    pub pbi_pemda: bool,
    /// PLN customer id.
    pub pln_id: Option<String>,
    /// PLN installed power (VA).
    pub pln_daya: Option<String>,
    /// DTKS: PKH recipient.
    pub pkh: bool,
    /// DTKS: BPNT (Sembako) recipient.
    pub bpnt: bool,
    /// DTKS: PBI recipient.
    pub pbi_dtks: bool,
    /// P3KE's old decile.
    pub desil_p3ke: Option<u8>,
}

/// A consolidated person (golden record).
#[derive(Clone, Debug)]
pub struct Person {
    /// Internal id (kept across snapshots, by NIK).
    pub id: i64,
    /// The NIK SIAK holds.
    pub nik: Nik,
    /// SIAK's KK number.
    pub kk: String,
    /// Index of the family in [`Consolidation::families`].
    pub family: u32,
    /// The SIAK record that is the authority.
    pub authority: u32,
    /// Every accepted record (rows of `persons.tsv`), the authority first.
    pub records: Vec<u32>,
    /// Sources holding the person (bit per [`Source`]).
    pub sources: u8,
    /// One value per person rule.
    pub values: Vec<Option<Value>>,
    /// Village of residence (SIAK).
    pub region: String,
    /// Alive at the snapshot.
    pub alive: bool,
    /// Date of death (SIAK).
    pub death_date: Option<String>,
    /// Who reported the death.
    pub death_source: Option<Source>,
    /// Programme and list flags.
    pub flags: Flags,
}

impl Person {
    /// The value of person rule `k`.
    pub fn value(&self, k: usize) -> Option<&str> {
        self.values.get(k)?.as_ref().map(|v| v.text.as_str())
    }

    /// `sumber_data`: the sources holding this person, `siak;regsosek;dtks;p3ke`.
    pub fn source_list(&self) -> String {
        let names = [
            (Source::Siak, "siak"),
            (Source::RegsosekAnggota, "regsosek"),
            (Source::Dtks, "dtks"),
            (Source::P3ke, "p3ke"),
        ];
        names
            .iter()
            .filter(|(s, _)| self.sources & s.bit() != 0)
            .map(|(_, n)| *n)
            .collect::<Vec<_>>()
            .join(";")
    }
}

/// Completeness of a family for the ranking (`status_kelengkapan`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Completeness {
    /// Every ranking variable present.
    Lengkap,
    /// Some ranking variables missing: a field check completes them.
    TidakLengkap,
    /// No socio-economic data at all: the family needs to be surveyed.
    BelumDidata,
}

impl Completeness {
    /// The code written to the snapshot and the export.
    pub fn as_str(self) -> &'static str {
        match self {
            Completeness::Lengkap => "lengkap",
            Completeness::TidakLengkap => "tidak_lengkap",
            Completeness::BelumDidata => "belum_didata",
        }
    }
}

/// A consolidated family, anchored on a SIAK KK number.
#[derive(Clone, Debug)]
pub struct Family {
    /// Internal id (kept across snapshots, by KK number).
    pub id: i64,
    /// KK number (SIAK).
    pub kk: String,
    /// Members (indices into [`Consolidation::persons`]), by relationship then NIK.
    pub members: Vec<u32>,
    /// The head of family (SHDK 1, alive).
    pub head: Option<u32>,
    /// Village (10 digits): the head's, else the first member's.
    pub region: String,
    /// One value per family rule.
    pub values: Vec<Option<Value>>,
    /// The Regsosek family record attached (row of `families.tsv`).
    pub regsosek: Option<u32>,
    /// Completeness for the ranking.
    pub status: Completeness,
    /// The ranking variables missing (export names; members' as `name (n anggota)`).
    pub missing: Vec<String>,
    /// Notes for officials: `kepala_meninggal`, `tanpa_kepala`, `data_sosek_keluarga_asal`, ...
    pub notes: Vec<&'static str>,
}

impl Family {
    /// The value of family rule `k`.
    pub fn value(&self, k: usize) -> Option<&str> {
        self.values.get(k)?.as_ref().map(|v| v.text.as_str())
    }

    /// Living members.
    pub fn living(&self, persons: &[Person]) -> usize {
        self.members
            .iter()
            .filter(|&&m| persons[m as usize].alive)
            .count()
    }
}

/// A source record returned to its provider (`kembali_<source>.csv`).
#[derive(Clone, Debug, PartialEq)]
pub struct Return {
    /// The provider.
    pub source: Source,
    /// Row of `persons.tsv` (person sources) or `families.tsv` (Regsosek families).
    pub row: u32,
    /// Reason code (`nik_tidak_valid:day`, `nik_beda_dukcapil`, `tidak_padan_dukcapil`, ...).
    pub reason: String,
    /// Left out of the snapshot (`dikeluarkan`), or kept and to be completed (`dilengkapi`).
    pub excluded: bool,
    /// The NIK SIAK holds for the matched person, for the provider's correction.
    pub nik_dukcapil: Option<Nik>,
    /// The KK number SIAK holds for the matched family.
    pub kk_dukcapil: Option<String>,
}

/// Sources that disagree on a field: every value other than the chosen one.
#[derive(Clone, Debug, PartialEq)]
pub struct Disagreement {
    /// Person or family.
    pub entity: Entity,
    /// Index into persons or families.
    pub index: u32,
    /// Index of the rule.
    pub field: usize,
    /// The other value.
    pub value: Value,
}

/// Something an official should look at.
#[derive(Clone, Debug, PartialEq)]
pub struct Conflict {
    /// `anggota_dua_keluarga`, `nik_siak_ganda`, `review_matching`, ...
    pub kind: &'static str,
    /// The person (index), if one.
    pub person: Option<u32>,
    /// What it is about, for a reader.
    pub detail: String,
}

/// Counts per source.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SourceCount {
    /// Records ingest accepted.
    pub records: u64,
    /// In the snapshot (contributing to a golden record).
    pub in_snapshot: u64,
    /// Left out and returned.
    pub excluded: u64,
    /// Kept, and returned to be completed (missing NIK, old KK).
    pub completed: u64,
}

/// The result of a consolidation, in memory.
#[derive(Debug)]
pub struct Consolidation {
    /// Snapshot id.
    pub snapshot: String,
    /// Reference date.
    pub as_of: Date,
    /// The rules used.
    pub rules: Rules,
    /// `persons.tsv`.
    pub records: Table,
    /// `families.tsv`.
    pub family_records: Table,
    /// Golden persons, by NIK.
    pub persons: Vec<Person>,
    /// Families, by KK number.
    pub families: Vec<Family>,
    /// Records returned to their providers.
    pub returns: Vec<Return>,
    /// Values that disagree with the golden ones.
    pub disagreements: Vec<Disagreement>,
    /// Conflicts for review.
    pub conflicts: Vec<Conflict>,
    /// Counts per source.
    pub counts: HashMap<Source, SourceCount>,
    /// Matching figures: (records, candidate pairs, deterministic links, probabilistic links,
    /// multi-record clusters, review cases).
    pub matching: serde_json::Value,
    /// Supporting lists: (list, rows, attached).
    pub lists: Vec<(String, u64, u64)>,
    /// Records of a source this version does not consolidate (skipped, counted).
    pub unknown_source_records: u64,
    /// Timings in milliseconds, per step.
    pub timings: Vec<(&'static str, u64)>,
    /// The matching model used (trained or reused), to save for the next run.
    pub model: Model,
    /// Per row of `persons.tsv`: the person (index into `persons`) it went into, or [`NONE`].
    pub person_of: Vec<u32>,
    /// Per row of `persons.tsv`: the person it was matched to, even when validation then left
    /// it out (a wrong NIK on a record of a SIAK person), or [`NONE`]. This is what matching
    /// quality is measured on; `person_of` is what the snapshot holds.
    pub matched_to: Vec<u32>,
}

/// Column indices of `persons.tsv`.
#[derive(Clone, Copy)]
struct Cols {
    source: usize,
    line: usize,
    family_key: usize,
    nik: usize,
    nik_status: usize,
    kk: usize,
    kk_status: usize,
    region: usize,
    alive: usize,
    death_date: usize,
    relationship: usize,
    name_std: usize,
    birth_date: usize,
    attrs: usize,
}

impl Cols {
    fn new(t: &Table) -> Result<Cols> {
        Ok(Cols {
            source: t.col("source")?,
            line: t.col("line")?,
            family_key: t.col("family_key")?,
            nik: t.col("nik")?,
            nik_status: t.col("nik_status")?,
            kk: t.col("kk")?,
            kk_status: t.col("kk_status")?,
            region: t.col("region")?,
            alive: t.col("alive")?,
            death_date: t.col("death_date")?,
            relationship: t.col("relationship")?,
            name_std: t.col("name_std")?,
            birth_date: t.col("birth_date")?,
            attrs: t.col("attrs")?,
        })
    }
}

/// Where a rule's value sits in a table: a column, else a key of `attrs`.
#[derive(Clone, Copy)]
enum Slot<'a> {
    Column(usize),
    Attr(&'a str),
}

fn slot<'a>(t: &Table, field: &'a str) -> Slot<'a> {
    t.try_col(field).map_or(Slot::Attr(field), Slot::Column)
}

fn read_slot<'r>(t: &'r Table, row: u32, s: Slot<'_>, attrs: Option<usize>) -> Option<&'r str> {
    let r = &t.rows[row as usize];
    let v = match s {
        Slot::Column(k) => r.get(k),
        Slot::Attr(key) => attr(r.get(attrs?), key)?,
    };
    (!v.is_empty()).then_some(v)
}

/// Consolidates the ingest output in `ingested` (`persons.tsv`, `families.tsv`, `lists.tsv`),
/// writing the matching engine's files under `work/link`.
pub fn consolidate(
    ingested: &Path,
    work: &Path,
    opts: &Options,
    ids: &KnownIds,
) -> Result<Consolidation> {
    let mut timings = Vec::new();
    let t = Instant::now();
    let records = Table::read(ingested, "persons.tsv")?;
    let family_records = Table::read(ingested, "families.tsv")?;
    let lists = Table::read(ingested, "lists.tsv")?;
    timings.push(("read", t.elapsed().as_millis() as u64));

    // 1. Person-level matching with the matching engine.
    let t = Instant::now();
    let link_dir = work.join("link");
    std::fs::create_dir_all(&link_dir).map_err(|source| ConsolidateError::Io {
        path: link_dir.display().to_string(),
        source,
    })?;
    let config = Config::parse(dtsen_link::DTSEN_PERSONS_CONFIG)?;
    let input = link_dir.join("persons-link.csv");
    dtsen_link::registry::prepare(ingested, &input)?;
    let file = data::Input::file(&input).map_err(|source| ConsolidateError::Io {
        path: input.display().to_string(),
        source,
    })?;
    let mut dataset = data::load_files_keeping(&config, vec![file], data::Keep::LINKING)?;
    if dataset.len() != records.rows.len() {
        return Err(ConsolidateError::Input(format!(
            "the matching input has {} records but persons.tsv {}",
            dataset.len(),
            records.rows.len()
        )));
    }
    let linkage = link_and_write(&config, &mut dataset, opts.model.clone(), &link_dir)?;
    let r = &linkage.report;
    let matching = serde_json::json!({
        "records": r.records,
        "candidate_pairs": r.candidate_pairs,
        "deterministic_links": r.deterministic_links.iter().map(|(_, n)| n).sum::<u64>(),
        "probabilistic_links": r.probabilistic_links,
        "clusters": r.clusters,
        "multi_record_clusters": r.multi_record_clusters,
        "review_distinct_identifiers": r.review_distinct_identifiers,
        "review_weak_bridges": r.review_weak_bridges,
        "model_trained": r.trained,
    });
    timings.push(("matching", t.elapsed().as_millis() as u64));
    let cluster = linkage.clusters.cluster.clone();
    let review_cases: Vec<String> = linkage
        .clusters
        .cases
        .iter()
        .map(|c| {
            let ids: Vec<String> = c
                .records
                .iter()
                .map(|&i| dataset.id_str(i as usize))
                .collect();
            format!("{:?}: {}", c.reason, ids.join(" "))
        })
        .collect();
    let model = linkage.model.clone();
    drop(linkage);
    drop(dataset);

    let t = Instant::now();
    let mut b = Builder::new(opts, records, family_records)?;
    b.unreadable_siak = unreadable_siak_numbers(ingested);
    b.persons_from_clusters(&cluster, ids);
    for detail in review_cases {
        b.conflicts.push(Conflict {
            kind: "review_pemadanan",
            person: None,
            detail,
        });
    }
    b.families(ids);
    b.attach_regsosek();
    b.values();
    b.completeness();
    let list_counts = b.lists(&lists);
    timings.push(("golden_records", t.elapsed().as_millis() as u64));
    Ok(b.finish(matching, list_counts, timings, model))
}

/// The 16-digit numbers on SIAK rows that ingest rejected (`rejects.csv`): a record whose NIK
/// is among them is not "unknown to Dukcapil" — its SIAK row could not be read, and the return
/// says so.
fn unreadable_siak_numbers(ingested: &Path) -> std::collections::HashSet<u64> {
    let mut out = std::collections::HashSet::new();
    let Ok(mut rdr) = csv::Reader::from_path(ingested.join("rejects.csv")) else {
        return out;
    };
    for row in rdr.records().flatten() {
        if row.get(0) != Some("siak") {
            continue;
        }
        let raw = row.get(5).unwrap_or("");
        for token in raw.split(|c: char| !c.is_ascii_digit()) {
            if token.len() == 16 {
                if let Ok(n) = token.parse::<u64>() {
                    out.insert(n);
                }
            }
        }
    }
    out
}

/// The person with this NIK (persons are sorted by NIK once grouped).
fn person_index(persons: &[Person], nik: u64) -> Option<u32> {
    persons
        .binary_search_by_key(&nik, |p| p.nik.value())
        .ok()
        .map(|k| k as u32)
}

/// The working state of a consolidation.
struct Builder<'o> {
    opts: &'o Options,
    records: Table,
    family_records: Table,
    c: Cols,
    sources: Vec<Option<Source>>,
    persons: Vec<Person>,
    families: Vec<Family>,
    returns: Vec<Return>,
    disagreements: Vec<Disagreement>,
    conflicts: Vec<Conflict>,
    unknown_source_records: u64,
    /// Per person record: the person it belongs to (accepted records only).
    person_of: Vec<u32>,
    /// 16-digit numbers on the SIAK rows ingest could not read (their NIKs and KKs).
    unreadable_siak: std::collections::HashSet<u64>,
}

/// `person_of` of a record that went into no person.
pub const NONE: u32 = u32::MAX;

impl<'o> Builder<'o> {
    fn new(opts: &'o Options, records: Table, family_records: Table) -> Result<Builder<'o>> {
        let c = Cols::new(&records)?;
        family_records.col("family_key")?;
        family_records.col("kk")?;
        let mut unknown = 0;
        let sources: Vec<Option<Source>> = records
            .rows
            .iter()
            .map(|r| {
                let s = Source::from_key(r.get(c.source)).filter(|s| s.is_person_record());
                if s.is_none() {
                    unknown += 1;
                }
                s
            })
            .collect();
        let n = records.rows.len();
        Ok(Builder {
            opts,
            records,
            family_records,
            c,
            sources,
            persons: Vec::new(),
            families: Vec::new(),
            returns: Vec::new(),
            disagreements: Vec::new(),
            conflicts: Vec::new(),
            unknown_source_records: unknown,
            person_of: vec![NONE; n],
            unreadable_siak: Default::default(),
        })
    }

    fn get(&self, row: u32, col: usize) -> &str {
        self.records.rows[row as usize].get(col)
    }

    fn nik_of(&self, row: u32) -> Option<u64> {
        (self.get(row, self.c.nik_status) == "valid")
            .then(|| self.get(row, self.c.nik).parse().ok())
            .flatten()
    }

    fn give_back(
        &mut self,
        row: u32,
        reason: String,
        excluded: bool,
        nik: Option<u64>,
        kk: Option<String>,
    ) {
        if let Some(source) = self.sources[row as usize] {
            self.returns.push(Return {
                source,
                row,
                reason,
                excluded,
                nik_dukcapil: nik.map(Nik::from_value_unchecked),
                kk_dukcapil: kk,
            });
        }
    }

    /// Whether record `r` describes the person of SIAK record `authority` (the check Dukcapil
    /// makes when a NIK is presented with a name and a birth date): the birth years at most
    /// one apart, and the name or the birth date agreeing loosely. A row with someone else's
    /// NIK (a child's row with its parent's NIK) fails it.
    fn describes(&self, r: u32, authority: u32) -> bool {
        let c = self.c;
        let (a, b) = (self.get(r, c.birth_date), self.get(authority, c.birth_date));
        let (x, y) = (self.get(r, c.name_std), self.get(authority, c.name_std));
        years_close(a, b) && (names_agree_loosely(x, y) || dates_agree_loosely(a, b))
    }

    /// Why a record of a cluster without a valid SIAK record cannot be validated.
    fn unvalidated_reason(&self, row: u32) -> String {
        let status = self.get(row, self.c.nik_status);
        match status {
            "valid"
                if self
                    .get(row, self.c.nik)
                    .parse::<u64>()
                    .is_ok_and(|n| self.unreadable_siak.contains(&n)) =>
            {
                "baris_siak_tidak_terbaca".into()
            }
            "valid" => "nik_tidak_terdaftar_dukcapil".into(),
            "missing" | "" => "nik_kosong_tidak_padan".into(),
            other => format!("nik_tidak_valid:{}", other.trim_start_matches("invalid:")),
        }
    }

    /// Golden persons from the matching engine's clusters, with the record-level validation
    /// against SIAK.
    fn persons_from_clusters(&mut self, cluster: &[u32], ids: &KnownIds) {
        let n = self.records.rows.len() as u32;
        let mut order: Vec<u32> = (0..n)
            .filter(|&i| self.sources[i as usize].is_some())
            .collect();
        order.sort_unstable_by_key(|&i| (cluster[i as usize], i));
        let mut by_nik: HashMap<u64, u32> = HashMap::new();
        let mut start = 0;
        while start < order.len() {
            let c = cluster[order[start] as usize];
            let mut end = start;
            while end < order.len() && cluster[order[end] as usize] == c {
                end += 1;
            }
            let group: Vec<u32> = order[start..end].to_vec();
            start = end;
            self.person_from_group(&group, &mut by_nik);
        }
        // Order persons by NIK (deterministic) and give ids.
        let mut idx: Vec<u32> = (0..self.persons.len() as u32).collect();
        idx.sort_unstable_by_key(|&i| self.persons[i as usize].nik.value());
        let mut old = std::mem::take(&mut self.persons)
            .into_iter()
            .map(Some)
            .collect::<Vec<_>>();
        for &i in &idx {
            if let Some(p) = old[i as usize].take() {
                self.persons.push(p);
            }
        }
        let mut next = ids.next_person;
        for (k, p) in self.persons.iter_mut().enumerate() {
            p.id = match ids.persons.get(&p.nik.value()) {
                Some(&id) => id,
                None => {
                    next += 1;
                    next - 1
                }
            };
            for &r in &p.records {
                self.person_of[r as usize] = k as u32;
            }
        }
    }

    fn person_from_group(&mut self, group: &[u32], by_nik: &mut HashMap<u64, u32>) {
        let c = self.c;
        // The authority: a SIAK record with a valid NIK, the latest update first.
        let siak: Vec<u32> = group
            .iter()
            .copied()
            .filter(|&r| self.sources[r as usize] == Some(Source::Siak) && self.nik_of(r).is_some())
            .collect();
        let authority = siak.iter().copied().max_by(|&a, &b| {
            let ua = attr(self.get(a, c.attrs), "tgl_update").unwrap_or("");
            let ub = attr(self.get(b, c.attrs), "tgl_update").unwrap_or("");
            ua.cmp(ub).then(b.cmp(&a))
        });
        let Some(authority) = authority else {
            for &r in group {
                let reason = self.unvalidated_reason(r);
                self.give_back(r, reason, true, None, None);
            }
            return;
        };
        let nik = self.nik_of(authority).unwrap_or_default();
        let kk_valid = self.get(authority, c.kk_status) == "valid";
        let kk = self.get(authority, c.kk).to_owned();
        if !kk_valid {
            // A person SIAK holds without a valid KK has no family to be part of.
            for &r in group {
                let reason = if r == authority {
                    "kk_tidak_valid"
                } else {
                    "tanpa_kk_dukcapil"
                };
                self.give_back(r, reason.into(), true, Some(nik), None);
            }
            self.conflicts.push(Conflict {
                kind: "tanpa_keluarga",
                person: None,
                detail: format!(
                    "NIK {} has no valid KK number in SIAK",
                    Nik::from_value_unchecked(nik).masked()
                ),
            });
            return;
        }
        let mut accepted = vec![authority];
        for &r in group {
            if r == authority {
                continue;
            }
            let status = self.get(r, c.nik_status).to_owned();
            match self.nik_of(r) {
                Some(v) if v == nik && !self.describes(r, authority) => self.give_back(
                    r,
                    "nik_tidak_sesuai_dukcapil".into(),
                    true,
                    Some(nik),
                    Some(kk.clone()),
                ),
                Some(v) if v == nik => accepted.push(r),
                Some(_) if self.sources[r as usize] == Some(Source::Siak) => {
                    self.give_back(
                        r,
                        "nik_siak_ganda".into(),
                        true,
                        Some(nik),
                        Some(kk.clone()),
                    );
                    self.conflicts.push(Conflict {
                        kind: "nik_siak_ganda",
                        person: None,
                        detail: format!(
                            "SIAK lines {} and {} describe one person with two NIKs",
                            self.get(authority, c.line),
                            self.get(r, c.line)
                        ),
                    });
                }
                Some(_) => self.give_back(
                    r,
                    "nik_beda_dukcapil".into(),
                    true,
                    Some(nik),
                    Some(kk.clone()),
                ),
                None if status == "missing" || status.is_empty() => {
                    accepted.push(r);
                    self.give_back(r, "nik_kosong".into(), false, Some(nik), Some(kk.clone()));
                }
                None => self.give_back(
                    r,
                    format!("nik_tidak_valid:{}", status.trim_start_matches("invalid:")),
                    true,
                    Some(nik),
                    Some(kk.clone()),
                ),
            }
        }
        accepted[1..].sort_unstable_by_key(|&r| (self.sources[r as usize], r));
        if let Some(&existing) = by_nik.get(&nik) {
            // The same SIAK NIK in a second cluster (the matching engine cut a bridge between
            // them): one NIK is one person.
            let p = &mut self.persons[existing as usize];
            for r in accepted {
                p.sources |= self.sources[r as usize].map_or(0, Source::bit);
                p.records.push(r);
            }
            return;
        }
        let alive = self.get(authority, c.alive) != "0";
        let death_date =
            Some(self.get(authority, c.death_date).to_owned()).filter(|d| !d.is_empty());
        let sources = accepted.iter().fold(0u8, |acc, &r| {
            acc | self.sources[r as usize].map_or(0, Source::bit)
        });
        by_nik.insert(nik, self.persons.len() as u32);
        self.persons.push(Person {
            id: 0,
            nik: Nik::from_value_unchecked(nik),
            kk,
            family: 0,
            authority,
            records: accepted,
            sources,
            values: Vec::new(),
            region: self.get(authority, c.region).to_owned(),
            alive,
            death_date,
            death_source: (!alive).then_some(Source::Siak),
            flags: Flags::default(),
        });
    }

    /// Families: one per SIAK KK number held by a consolidated person.
    fn families(&mut self, ids: &KnownIds) {
        let mut by_kk: HashMap<String, Vec<u32>> = HashMap::new();
        for (k, p) in self.persons.iter().enumerate() {
            by_kk.entry(p.kk.clone()).or_default().push(k as u32);
        }
        let mut kks: Vec<String> = by_kk.keys().cloned().collect();
        kks.sort_unstable();
        let rel_col = self.c.relationship;
        let mut next = ids.next_family;
        for kk in kks {
            let mut members = by_kk.remove(&kk).unwrap_or_default();
            let rel = |p: &Person| -> u32 {
                self.records.rows[p.authority as usize]
                    .get(rel_col)
                    .parse()
                    .unwrap_or(99)
            };
            members.sort_unstable_by_key(|&m| {
                let p = &self.persons[m as usize];
                (rel(p), p.nik.value())
            });
            let heads: Vec<u32> = members
                .iter()
                .copied()
                .filter(|&m| rel(&self.persons[m as usize]) == 1)
                .collect();
            let living_heads: Vec<u32> = heads
                .iter()
                .copied()
                .filter(|&m| self.persons[m as usize].alive)
                .collect();
            let mut notes = Vec::new();
            if heads.is_empty() {
                notes.push("tanpa_kepala");
            } else if living_heads.is_empty() {
                notes.push("kepala_meninggal");
            }
            if living_heads.len() > 1 {
                notes.push("kepala_ganda");
            }
            if members.iter().all(|&m| !self.persons[m as usize].alive) {
                notes.push("semua_anggota_meninggal");
            }
            let head = living_heads.first().copied();
            let region = self.persons[head.unwrap_or(members[0]) as usize]
                .region
                .clone();
            let id = match ids.families.get(&kk) {
                Some(&id) => id,
                None => {
                    next += 1;
                    next - 1
                }
            };
            let f = self.families.len() as u32;
            for &m in &members {
                self.persons[m as usize].family = f;
            }
            self.families.push(Family {
                id,
                kk,
                members,
                head,
                region,
                values: Vec::new(),
                regsosek: None,
                status: Completeness::BelumDidata,
                missing: Vec::new(),
                notes,
            });
        }
    }

    /// Family-level and person–family matching: each family takes the Regsosek family that
    /// holds most of its members (ties: the one whose KK number is the family's, then the
    /// first); a family none of whose members Regsosek holds takes the Regsosek family with
    /// its KK number. A member whose Regsosek family went to another family is reported; SIAK's
    /// family stands.
    fn attach_regsosek(&mut self) {
        let fr = &self.family_records;
        let (fk_col, kk_col, kks_col) = (
            fr.try_col("family_key").unwrap_or(0),
            fr.try_col("kk").unwrap_or(0),
            fr.try_col("kk_status").unwrap_or(0),
        );
        let mut by_key: HashMap<&str, u32> = HashMap::new();
        let mut by_kk: HashMap<&str, u32> = HashMap::new();
        for (i, r) in fr.rows.iter().enumerate() {
            by_key.entry(r.get(fk_col)).or_insert(i as u32);
            if r.get(kks_col) == "valid" {
                by_kk.entry(r.get(kk_col)).or_insert(i as u32);
            }
        }
        let mut taken_by: Vec<Vec<u32>> = vec![Vec::new(); fr.rows.len()];
        let mut choice = vec![None; self.families.len()];
        for (f, fam) in self.families.iter().enumerate() {
            let mut votes: Vec<(u32, u32)> = Vec::new();
            for &m in &fam.members {
                for &r in &self.persons[m as usize].records {
                    if self.sources[r as usize] != Some(Source::RegsosekAnggota) {
                        continue;
                    }
                    let key = self.records.rows[r as usize].get(self.c.family_key);
                    if let Some(&row) = by_key.get(key) {
                        match votes.iter_mut().find(|(k, _)| *k == row) {
                            Some(v) => v.1 += 1,
                            None => votes.push((row, 1)),
                        }
                    }
                }
            }
            let best = votes
                .iter()
                .max_by(|a, b| {
                    let kk_a = fr.rows[a.0 as usize].get(kk_col) == fam.kk;
                    let kk_b = fr.rows[b.0 as usize].get(kk_col) == fam.kk;
                    a.1.cmp(&b.1).then(kk_a.cmp(&kk_b)).then(b.0.cmp(&a.0))
                })
                .map(|v| v.0)
                .or_else(|| by_kk.get(fam.kk.as_str()).copied());
            if let Some(row) = best {
                taken_by[row as usize].push(f as u32);
                choice[f] = Some(row);
            }
        }
        let mut returns = Vec::new();
        for (row, fams) in taken_by.iter().enumerate() {
            let r = &fr.rows[row];
            let Some(&first) = fams.first() else {
                let reason = match r.get(kks_col) {
                    "valid" => "keluarga_tidak_padan_dukcapil".to_owned(),
                    "missing" | "" => "kk_kosong_tidak_padan".to_owned(),
                    other => format!("kk_tidak_valid:{}", other.trim_start_matches("invalid:")),
                };
                returns.push((row as u32, reason, true, None));
                continue;
            };
            let kk = &self.families[first as usize].kk;
            if fams
                .iter()
                .all(|&f| self.families[f as usize].kk != r.get(kk_col))
            {
                let reason = match r.get(kks_col) {
                    "valid" => "kk_beda_dukcapil".to_owned(),
                    "missing" | "" => "kk_kosong".to_owned(),
                    other => format!("kk_tidak_valid:{}", other.trim_start_matches("invalid:")),
                };
                returns.push((row as u32, reason, false, Some(kk.clone())));
            }
        }
        for (row, reason, excluded, kk) in returns {
            self.returns.push(Return {
                source: Source::RegsosekKeluarga,
                row,
                reason,
                excluded,
                nik_dukcapil: None,
                kk_dukcapil: kk,
            });
        }
        for (f, row) in choice.iter().enumerate() {
            let Some(row) = *row else { continue };
            let fam = &mut self.families[f];
            fam.regsosek = Some(row);
            if taken_by[row as usize].len() > 1 {
                fam.notes.push("data_sosek_keluarga_asal");
            }
        }
        // Person–family: a member whose Regsosek family went to other families only.
        let mut conflicts = Vec::new();
        for (k, p) in self.persons.iter().enumerate() {
            for &r in &p.records {
                if self.sources[r as usize] != Some(Source::RegsosekAnggota) {
                    continue;
                }
                let key = self.records.rows[r as usize].get(self.c.family_key);
                let Some(&row) = by_key.get(key) else {
                    continue;
                };
                let fams = &taken_by[row as usize];
                if !fams.is_empty() && !fams.contains(&p.family) {
                    conflicts.push(Conflict {
                        kind: "anggota_dua_keluarga",
                        person: Some(k as u32),
                        detail: format!(
                            "Regsosek lists NIK {} in family {key} (KK {}); SIAK's KK {} stands",
                            p.nik.masked(),
                            self.families[fams[0] as usize].kk,
                            p.kk
                        ),
                    });
                }
            }
        }
        self.conflicts.extend(conflicts);
    }

    /// Golden values by the survivorship rules, disagreements kept.
    fn values(&mut self) {
        let rules = &self.opts.rules;
        let attrs = Some(self.c.attrs);
        let pslots: Vec<Slot> = rules
            .person
            .iter()
            .map(|r| slot(&self.records, &r.field))
            .collect();
        let fslots_p: Vec<Slot> = rules
            .family
            .iter()
            .map(|r| slot(&self.records, &r.field))
            .collect();
        let fslots_f: Vec<Slot> = rules
            .family
            .iter()
            .map(|r| slot(&self.family_records, &r.field))
            .collect();
        let fattrs = self.family_records.try_col("attrs");
        let mut disagreements = Vec::new();
        for (k, p) in self.persons.iter_mut().enumerate() {
            let mut values = Vec::with_capacity(rules.person.len());
            for (fi, rule) in rules.person.iter().enumerate() {
                let mut chosen: Option<Value> = None;
                for &src in &rule.sources {
                    for &r in &p.records {
                        if self.sources[r as usize] != Some(src) {
                            continue;
                        }
                        let Some(v) = read_slot(&self.records, r, pslots[fi], attrs) else {
                            continue;
                        };
                        match &chosen {
                            None => {
                                chosen = Some(Value {
                                    text: v.to_owned(),
                                    source: src,
                                    record: r,
                                })
                            }
                            Some(c) if c.text != v => disagreements.push(Disagreement {
                                entity: Entity::Person,
                                index: k as u32,
                                field: fi,
                                value: Value {
                                    text: v.to_owned(),
                                    source: src,
                                    record: r,
                                },
                            }),
                            Some(_) => {}
                        }
                    }
                }
                values.push(chosen);
            }
            p.values = values;
            // Regsosek's whereabouts "died" flags a death SIAK has not recorded.
            if let Some(w) = rules.person_field("r404") {
                if p.alive && p.value(w) == Some("2") {
                    p.alive = false;
                    p.death_source = Some(Source::RegsosekAnggota);
                }
            }
        }
        let persons = &self.persons;
        for (k, fam) in self.families.iter_mut().enumerate() {
            let mut values = Vec::with_capacity(rules.family.len());
            for (fi, rule) in rules.family.iter().enumerate() {
                let mut chosen: Option<Value> = None;
                let mut consider =
                    |v: &str, src: Source, record: u32, chosen: &mut Option<Value>| match chosen {
                        None => {
                            *chosen = Some(Value {
                                text: v.to_owned(),
                                source: src,
                                record,
                            })
                        }
                        Some(c) if c.text != v => disagreements.push(Disagreement {
                            entity: Entity::Family,
                            index: k as u32,
                            field: fi,
                            value: Value {
                                text: v.to_owned(),
                                source: src,
                                record,
                            },
                        }),
                        Some(_) => {}
                    };
                for &src in &rule.sources {
                    if src == Source::RegsosekKeluarga {
                        if let Some(row) = fam.regsosek {
                            if let Some(v) =
                                read_slot(&self.family_records, row, fslots_f[fi], fattrs)
                            {
                                consider(v, src, row, &mut chosen);
                            }
                        }
                        continue;
                    }
                    // From the members' records: the head's first.
                    let order = fam
                        .head
                        .into_iter()
                        .chain(fam.members.iter().copied().filter(|&m| Some(m) != fam.head));
                    for m in order {
                        for &r in &persons[m as usize].records {
                            if self.sources[r as usize] != Some(src) {
                                continue;
                            }
                            if let Some(v) = read_slot(&self.records, r, fslots_p[fi], attrs) {
                                // Only the first member's value counts: members repeat the
                                // family's fields, so one value per family per source.
                                if chosen.as_ref().is_none_or(|c| c.source != src) {
                                    consider(v, src, r, &mut chosen);
                                }
                            }
                        }
                        if chosen.as_ref().is_some_and(|c| c.source == src) {
                            break;
                        }
                    }
                }
                values.push(chosen);
            }
            fam.values = values;
        }
        self.disagreements = disagreements;
    }

    /// `status_kelengkapan` per family: the ranking variables present or not.
    fn completeness(&mut self) {
        let rules = &self.opts.rules;
        let date_rule = rules.family_field("date");
        let bd = rules.person_field("birth_date");
        for fam in &mut self.families {
            let survey = date_rule
                .and_then(|k| fam.value(k))
                .and_then(|d| Date::parse_iso(d).ok())
                .unwrap_or(self.opts.as_of);
            let mut missing = Vec::new();
            let mut any_family_value = false;
            for (k, rule) in rules.family.iter().enumerate() {
                if rule.ranking_min_age.is_none() {
                    continue;
                }
                if fam.values[k].is_some() {
                    any_family_value = true;
                } else {
                    missing.push(rule.export.clone());
                }
            }
            for (k, rule) in rules.person.iter().enumerate() {
                let Some(min_age) = rule.ranking_min_age else {
                    continue;
                };
                let n = fam
                    .members
                    .iter()
                    .map(|&m| &self.persons[m as usize])
                    .filter(|p| p.alive && p.values[k].is_none())
                    .filter(|p| {
                        bd.and_then(|b| p.value(b))
                            .and_then(|d| Date::parse_iso(&d.replace("-00", "-01")).ok())
                            .is_some_and(|d| d.age_on(survey) >= min_age as i32)
                    })
                    .count();
                if n > 0 {
                    missing.push(format!("{} ({n} anggota)", rule.export));
                }
            }
            fam.status = if fam.regsosek.is_none() && !any_family_value {
                Completeness::BelumDidata
            } else if missing.is_empty() {
                Completeness::Lengkap
            } else {
                Completeness::TidakLengkap
            };
            fam.missing = missing;
        }
    }

    /// Supporting lists (ASN, PLN, BPJS PBI) attached by NIK; DTKS and P3KE flags from their
    /// accepted records. Returns (list, rows, attached).
    fn lists(&mut self, lists: &Table) -> Vec<(String, u64, u64)> {
        let cols = (
            lists.try_col("source"),
            lists.try_col("nik"),
            lists.try_col("nik_status"),
            lists.try_col("list_key"),
            lists.try_col("attrs"),
        );
        let mut counts: Vec<(String, u64, u64)> = Vec::new();
        if let (Some(sc), Some(nc), Some(vc), Some(kc), Some(ac)) = cols {
            for r in &lists.rows {
                let source = r.get(sc);
                let pos = match counts.iter().position(|(s, _, _)| s == source) {
                    Some(p) => p,
                    None => {
                        counts.push((source.to_owned(), 0, 0));
                        counts.len() - 1
                    }
                };
                counts[pos].1 += 1;
                if r.get(vc) != "valid" {
                    continue;
                }
                let Some(p) = r
                    .get(nc)
                    .parse::<u64>()
                    .ok()
                    .and_then(|n| person_index(&self.persons, n))
                else {
                    continue;
                };
                counts[pos].2 += 1;
                let f = &mut self.persons[p as usize].flags;
                let a = r.get(ac);
                match source {
                    "asn" => f.asn = Some(attr(a, "jenis").unwrap_or("ASN").to_owned()),
                    "pln" => {
                        f.pln_id = Some(r.get(kc).to_owned()).filter(|s| !s.is_empty());
                        f.pln_daya = attr(a, "daya_va").map(str::to_owned);
                    }
                    "bpjs_pbi" if attr(a, "status") == Some("AKTIF") => {
                        match attr(a, "jenis_pbi") {
                            Some("APBD") => f.pbi_pemda = true,
                            _ => f.pbi_nas = true,
                        }
                    }
                    _ => {}
                }
            }
        }
        counts.sort();
        for p in &mut self.persons {
            for &r in &p.records {
                let a = self.records.rows[r as usize].get(self.c.attrs);
                match self.sources[r as usize] {
                    Some(Source::Dtks) => {
                        p.flags.pkh |= attr(a, "pkh") == Some("1");
                        p.flags.bpnt |= attr(a, "bpnt") == Some("1");
                        p.flags.pbi_dtks |= attr(a, "pbi") == Some("1");
                    }
                    Some(Source::P3ke) => {
                        if let Some(d) = attr(a, "desil").and_then(|d| d.parse().ok()) {
                            p.flags.desil_p3ke = Some(d);
                        }
                    }
                    _ => {}
                }
            }
        }
        counts
    }

    fn finish(
        self,
        matching: serde_json::Value,
        lists: Vec<(String, u64, u64)>,
        timings: Vec<(&'static str, u64)>,
        model: Model,
    ) -> Consolidation {
        let mut counts: HashMap<Source, SourceCount> = HashMap::new();
        for s in self.sources.iter().flatten() {
            counts.entry(*s).or_default().records += 1;
        }
        counts.entry(Source::RegsosekKeluarga).or_default().records =
            self.family_records.rows.len() as u64;
        for r in &self.returns {
            let c = counts.entry(r.source).or_default();
            if r.excluded {
                c.excluded += 1;
            } else {
                c.completed += 1;
            }
        }
        for p in &self.persons {
            for &r in &p.records {
                if let Some(s) = self.sources[r as usize] {
                    counts.entry(s).or_default().in_snapshot += 1;
                }
            }
        }
        let attached = self
            .families
            .iter()
            .filter_map(|f| f.regsosek)
            .collect::<std::collections::HashSet<_>>();
        counts
            .entry(Source::RegsosekKeluarga)
            .or_default()
            .in_snapshot = attached.len() as u64;
        let mut returns = self.returns;
        returns.sort_by_key(|r| (r.source, r.row));
        let mut matched_to = self.person_of.clone();
        for r in &returns {
            if r.source.is_person_record() {
                if let Some(p) = r
                    .nik_dukcapil
                    .and_then(|n| person_index(&self.persons, n.value()))
                {
                    matched_to[r.row as usize] = p;
                }
            }
        }
        Consolidation {
            snapshot: self.opts.snapshot.clone(),
            as_of: self.opts.as_of,
            rules: self.opts.rules.clone(),
            records: self.records,
            family_records: self.family_records,
            persons: self.persons,
            families: self.families,
            returns,
            disagreements: self.disagreements,
            conflicts: self.conflicts,
            counts,
            matching,
            lists,
            unknown_source_records: self.unknown_source_records,
            timings,
            model,
            person_of: self.person_of,
            matched_to,
        }
    }
}

fn date_parts(d: &str) -> Option<(i32, u32, u32)> {
    let mut it = d.split('-');
    let y: i32 = it.next()?.parse().ok()?;
    let m: u32 = it.next()?.parse().ok()?;
    let d: u32 = it.next()?.parse().ok()?;
    (y > 0).then_some((y, m, d))
}

/// Birth years at most one apart (or a date missing).
fn years_close(x: &str, y: &str) -> bool {
    match (date_parts(x), date_parts(y)) {
        (Some(a), Some(b)) => (a.0 - b.0).abs() <= 1,
        _ => true,
    }
}

/// Birth dates that may be one date written with one error: equal, a part unknown (including
/// the 1 July / 31 December / 1 January written for an unknown date), day and month swapped,
/// or the year one off with day and month equal.
fn dates_agree_loosely(x: &str, y: &str) -> bool {
    let (Some((ya, ma, da)), Some((yb, mb, db))) = (date_parts(x), date_parts(y)) else {
        return true; // a missing date does not disagree
    };
    let conventional = |m: u32, d: u32| matches!((m, d), (7, 1) | (12, 31) | (1, 1));
    let same = |p: u32, q: u32| p == 0 || q == 0 || p == q;
    if (ya - yb).abs() > 1 {
        return false;
    }
    if conventional(ma, da) || conventional(mb, db) {
        return true;
    }
    if ya == yb {
        (same(ma, mb) && same(da, db)) || (ma == db && da == mb)
    } else {
        same(ma, mb) && same(da, db)
    }
}

/// Standardised names that may be one name: Jaro–Winkler at least 0.80, a shared name part of
/// three letters or more, or an initial standing for the other's first name.
fn names_agree_loosely(x: &str, y: &str) -> bool {
    if x.is_empty()
        || y.is_empty()
        || dtsen_link::compare::jaro_winkler(x.as_bytes(), y.as_bytes()) >= 0.80
    {
        return true;
    }
    let (tx, ty): (Vec<&str>, Vec<&str>) = (x.split(' ').collect(), y.split(' ').collect());
    let shared = tx.iter().any(|t| t.len() >= 3 && ty.contains(t));
    let initial = |a: &[&str], b: &[&str]| {
        a.first()
            .zip(b.first())
            .is_some_and(|(p, q)| p.len() == 1 && q.starts_with(p))
    };
    shared || initial(&tx, &ty) || initial(&ty, &tx)
}

impl Consolidation {
    /// The source-record key of a return or a value: `source:line`.
    pub fn record_key(&self, source: Source, row: u32) -> String {
        let t = if source == Source::RegsosekKeluarga {
            &self.family_records
        } else {
            &self.records
        };
        let line = t
            .try_col("line")
            .map_or("", |c| t.rows[row as usize].get(c));
        format!("{}:{line}", source.key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarter_dates() {
        assert_eq!(
            snapshot_date("2026Q1").map(|d| d.to_string()),
            Some("2026-03-31".into())
        );
        assert_eq!(
            snapshot_date("2024Q4").map(|d| d.to_string()),
            Some("2024-12-31".into())
        );
        assert_eq!(snapshot_date("2026Q5"), None);
        assert_eq!(snapshot_date("v3"), None);
    }

    #[test]
    fn loose_agreement_with_the_nik_owner() {
        assert!(dates_agree_loosely("1976-05-20", "1976-05-20"));
        assert!(dates_agree_loosely("1976-05-00", "1976-05-20"));
        assert!(dates_agree_loosely("1976-20-05", "1976-05-20"));
        assert!(dates_agree_loosely("1977-05-20", "1976-05-20"));
        assert!(
            dates_agree_loosely("1955-07-01", "1955-12-12"),
            "1 July stands for unknown"
        );
        assert!(dates_agree_loosely("", "1976-05-20"));
        assert!(!dates_agree_loosely("1976-06-21", "1976-05-20"));
        assert!(!dates_agree_loosely("2012-01-19", "1976-05-20"));
        assert!(years_close("1993-09-28", "1994-09-30"));
        assert!(!years_close("2022-03-05", "1957-11-12"));
        assert!(names_agree_loosely("S FIRMANSYAH", "SAPUTRA FIRMANSYAH"));
        assert!(names_agree_loosely("SUHENDRA", "HAFIZ SUHENDRA"));
        assert!(names_agree_loosely("SITI AMINAH", "SITI AMINA"));
        assert!(!names_agree_loosely("FAHMI", "ROHMAN BUDIMAN"));
    }

    #[test]
    fn source_keys_round_trip() {
        for s in Source::ALL {
            assert_eq!(Source::from_key(s.key()), Some(s));
        }
    }
}
