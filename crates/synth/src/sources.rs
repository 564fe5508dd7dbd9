//! How each source sees the true population: which families and persons it holds, in which
//! composition and at which address, with which errors, written in its own layout
//! (`shared/formats.md`).

use crate::config::{regsosek_date, Config};
use crate::names::{self, NameVariant};
use crate::rng::Rng;
use crate::world::{Family, Person};
use dtsen_core::codes::{CodeBook, Lang};
use dtsen_core::date::push_num;
use dtsen_core::{Date, Level, Nik, RegionCode, Relationship, Sex};

/// Every file the generator writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    /// `siak_penduduk.csv`.
    Siak,
    /// `regsosek_keluarga.csv`.
    RegsosekKeluarga,
    /// `regsosek_anggota.csv`.
    RegsosekAnggota,
    /// `dtks.csv` (Windows-1252).
    Dtks,
    /// `p3ke.csv`.
    P3ke,
    /// `asn.csv`.
    Asn,
    /// `pln.csv`.
    Pln,
    /// `bpjs_pbi.csv`.
    BpjsPbi,
    /// `susenas.csv`.
    Susenas,
    /// `truth_families.csv`.
    TruthFamilies,
    /// `truth_persons.csv`.
    TruthPersons,
}

impl Source {
    /// All files written per chunk, in this order.
    pub const ALL: [Source; 11] = [
        Source::Siak,
        Source::RegsosekKeluarga,
        Source::RegsosekAnggota,
        Source::Dtks,
        Source::P3ke,
        Source::Asn,
        Source::Pln,
        Source::BpjsPbi,
        Source::Susenas,
        Source::TruthFamilies,
        Source::TruthPersons,
    ];

    /// File name.
    pub fn file(self) -> &'static str {
        match self {
            Source::Siak => "siak_penduduk.csv",
            Source::RegsosekKeluarga => "regsosek_keluarga.csv",
            Source::RegsosekAnggota => "regsosek_anggota.csv",
            Source::Dtks => "dtks.csv",
            Source::P3ke => "p3ke.csv",
            Source::Asn => "asn.csv",
            Source::Pln => "pln.csv",
            Source::BpjsPbi => "bpjs_pbi.csv",
            Source::Susenas => "susenas.csv",
            Source::TruthFamilies => "truth_families.csv",
            Source::TruthPersons => "truth_persons.csv",
        }
    }

    /// The name used in the `source` column of `truth_records.csv`.
    pub fn key(self) -> &'static str {
        match self {
            Source::Siak => "siak",
            Source::RegsosekKeluarga => "regsosek_keluarga",
            Source::RegsosekAnggota => "regsosek_anggota",
            Source::Dtks => "dtks",
            Source::P3ke => "p3ke",
            Source::Asn => "asn",
            Source::Pln => "pln",
            Source::BpjsPbi => "bpjs_pbi",
            Source::Susenas => "susenas",
            Source::TruthFamilies => "truth_families",
            Source::TruthPersons => "truth_persons",
        }
    }

    /// Field separator.
    pub fn separator(self) -> u8 {
        match self {
            Source::Dtks => b';',
            Source::P3ke => b'|',
            _ => b',',
        }
    }

    /// Header line (without the newline).
    pub fn header(self) -> String {
        let cols: Vec<String> = match self {
            Source::Siak => "NIK,NO_KK,NAMA_LGKP,TMPT_LHR,TGL_LHR,JENIS_KLMIN,STAT_HBKEL,STAT_KWN,AGAMA,PDDK_AKH,JENIS_PKRJN,NO_PROP,NO_KAB,NO_KEC,NO_KEL,ALAMAT,NO_RT,NO_RW,STATUS_HIDUP,TGL_MATI,TGL_UPDATE".split(',').map(String::from).collect(),
            Source::RegsosekKeluarga => {
                let mut v: Vec<String> = "id_keluarga,r101,r102,r103,r104,r105,r107,r108,r112,r114,r301a,r301b,r302,r303,r304,r305,r306a,r307a,r307b,r308,r309a,r309b,r310".split(',').map(String::from).collect();
                v.extend((b'a'..=b'n').map(|c| format!("r502{}", c as char)));
                v.extend(["r503a".into(), "r503b".into()]);
                v.extend((b'a'..=b'e').map(|c| format!("r504{}", c as char)));
                v.extend(["r505", "r506", "latitude", "longitude", "tanggal_pendataan"].map(String::from));
                v
            }
            Source::RegsosekAnggota => {
                let mut v: Vec<String> = "id_keluarga,r401,r402,r403,r404,r405,r406,r407,r408,r409,r410,r412,r415,r416a,r417,r418,r420".split(',').map(String::from).collect();
                v.extend((b'a'..=b'j').map(|c| format!("r428{}", c as char)));
                v.extend(["r430".into(), "r431a".into()]);
                v
            }
            Source::Dtks => "IDDTKS;NIK;NOKK;NAMA;TMP_LAHIR;TGL_LAHIR;JENIS_KELAMIN;HUB_KEL;ALAMAT;RT;RW;KODE_WILAYAH;PEKERJAAN;JENIS_LANTAI;JENIS_DINDING;SUMBER_AIR;PENERANGAN;STATUS_PKH;STATUS_BPNT;STATUS_PBI;TGL_UPDATE".split(';').map(String::from).collect(),
            Source::P3ke => "ID_KELUARGA_P3KE|DESIL_P3KE|NO_KK|KODE_DESA|ALAMAT|NIK|NAMA|TANGGAL_LAHIR|JENIS_KELAMIN|HUBUNGAN|PENDIDIKAN|PEKERJAAN|PUNYA_RUMAH|JENIS_ATAP|JENIS_LANTAI".split('|').map(String::from).collect(),
            Source::Asn => vec!["NIK".into(), "NAMA".into(), "INSTANSI".into(), "JENIS".into()],
            Source::Pln => vec!["ID_PELANGGAN".into(), "NIK".into(), "DAYA_VA".into(), "SUBSIDI".into()],
            Source::BpjsPbi => vec!["NIK".into(), "NO_KARTU".into(), "JENIS_PBI".into(), "STATUS".into()],
            Source::Susenas => SUSENAS_COLUMNS.iter().map(|s| s.to_string()).collect(),
            Source::TruthFamilies => "family_id,kode_desa,pengeluaran_per_kapita,no_kk,jumlah_anggota,split_from_family_id,moved_from_kode_desa,welfare".split(',').map(String::from).collect(),
            Source::TruthPersons => "person_id,family_id,nik,nama,tanggal_lahir,jenis_kelamin,status_hubungan,status_hidup,tanggal_mati".split(',').map(String::from).collect(),
        };
        cols.join(&(self.separator() as char).to_string())
    }
}

/// The Susenas sample's columns: the family variables of the DTSEN vocabulary, member counts,
/// the head's characteristics, consumption and the survey weight.
pub const SUSENAS_COLUMNS: [&str; 63] = [
    "id_rumah_tangga",
    "kode_provinsi",
    "kode_kabupaten_kota",
    "kode_kecamatan",
    "kode_kelurahan_desa",
    "klasifikasi_desa",
    "jumlah_anggota_keluarga",
    "status_kepemilikan_rumah",
    "luas_lantai",
    "jenis_lantai_terluas",
    "jenis_dinding_terluas",
    "jenis_atap_terluas",
    "sumber_air_minum_utama",
    "sumber_penerangan_utama",
    "daya_terpasang",
    "bahan_bakar_utama_memasak",
    "fasilitas_bab",
    "jenis_kloset",
    "pembuangan_akhir_tinja",
    "aset_bergerak_tabung_gas",
    "aset_bergerak_lemari_es",
    "aset_bergerak_ac",
    "aset_bergerak_pemanas_air",
    "aset_bergerak_telepon_rumah",
    "aset_bergerak_tv_datar",
    "aset_bergerak_emas_perhiasan",
    "aset_bergerak_komputer_laptop_tablet",
    "aset_bergerak_sepeda_motor",
    "aset_bergerak_sepeda",
    "aset_bergerak_mobil",
    "aset_bergerak_perahu",
    "aset_bergerak_kapal_perahu_motor",
    "aset_bergerak_smartphone",
    "aset_tidak_bergerak_lahan_lainnya",
    "aset_tidak_bergerak_rumah_lainnya",
    "jumlah_ternak_sapi",
    "jumlah_ternak_kerbau",
    "jumlah_ternak_kuda",
    "jumlah_ternak_babi",
    "jumlah_ternak_kambing_domba",
    "akses_internet",
    "rekening_bank",
    "jumlah_anggota_0_4",
    "jumlah_anggota_5_14",
    "jumlah_anggota_15_59",
    "jumlah_anggota_60_plus",
    "jumlah_anggota_bekerja",
    "jumlah_anggota_sekolah",
    "jumlah_anggota_disabilitas",
    "jumlah_anggota_penyakit_kronis",
    "jumlah_anggota_sma_ke_atas",
    "umur_kepala",
    "jenis_kelamin_kepala",
    "status_kawin_kepala",
    "ijazah_kepala",
    "status_bekerja_kepala",
    "lapangan_usaha_kepala",
    "status_pekerjaan_kepala",
    "jumlah_anggota_pbi",
    "jumlah_anggota_asn",
    "kepemilikan_usaha_keluarga",
    "pengeluaran_per_kapita",
    "bobot",
];

/// Errors put into a row, recorded in `truth_records.csv`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum ErrorKind {
    /// One NIK digit wrong.
    NikTypo = 1 << 0,
    /// Two adjacent NIK digits swapped.
    NikTransposition = 1 << 1,
    /// NIK left empty though the person has one.
    NikMissing = 1 << 2,
    /// A parent's NIK on a child's row.
    NikParent = 1 << 3,
    /// MUHAMMAD spelled another way.
    NameMuhammad = 1 << 4,
    /// SITI / SITTI.
    NameSiti = 1 << 5,
    /// Old against new spelling.
    NameSpelling = 1 << 6,
    /// Honorific or degree added.
    NameTitle = 1 << 7,
    /// BIN / BINTI added.
    NameBin = 1 << 8,
    /// Name part dropped or abbreviated.
    NameAbbreviated = 1 << 9,
    /// Typing error in the name.
    NameTypo = 1 << 10,
    /// Birth day and month swapped.
    DobSwap = 1 << 11,
    /// Birth year off by one.
    DobYear = 1 << 12,
    /// Birth day or month unknown.
    DobUnknown = 1 << 13,
    /// KK number from before a family split.
    KkStale = 1 << 14,
    /// Address and region from before a move.
    Moved = 1 << 15,
    /// A deceased person still listed.
    DeceasedListed = 1 << 16,
    /// A second row for the same person in the same source.
    Duplicate = 1 << 17,
    /// Region code in another written form.
    RegionForm = 1 << 18,
    /// Wrong number of columns.
    MalformedColumns = 1 << 19,
    /// Broken quoting.
    MalformedQuote = 1 << 20,
    /// The person has no NIK (not registered in SIAK).
    Unregistered = 1 << 21,
}

impl ErrorKind {
    /// All kinds, in bit order.
    pub const ALL: [ErrorKind; 22] = [
        ErrorKind::NikTypo,
        ErrorKind::NikTransposition,
        ErrorKind::NikMissing,
        ErrorKind::NikParent,
        ErrorKind::NameMuhammad,
        ErrorKind::NameSiti,
        ErrorKind::NameSpelling,
        ErrorKind::NameTitle,
        ErrorKind::NameBin,
        ErrorKind::NameAbbreviated,
        ErrorKind::NameTypo,
        ErrorKind::DobSwap,
        ErrorKind::DobYear,
        ErrorKind::DobUnknown,
        ErrorKind::KkStale,
        ErrorKind::Moved,
        ErrorKind::DeceasedListed,
        ErrorKind::Duplicate,
        ErrorKind::RegionForm,
        ErrorKind::MalformedColumns,
        ErrorKind::MalformedQuote,
        ErrorKind::Unregistered,
    ];

    /// The token written in the truth's `errors` column.
    pub fn token(self) -> &'static str {
        match self {
            ErrorKind::NikTypo => "nik_typo",
            ErrorKind::NikTransposition => "nik_transposition",
            ErrorKind::NikMissing => "nik_missing",
            ErrorKind::NikParent => "nik_parent",
            ErrorKind::NameMuhammad => "name_muhammad",
            ErrorKind::NameSiti => "name_siti",
            ErrorKind::NameSpelling => "name_spelling",
            ErrorKind::NameTitle => "name_title",
            ErrorKind::NameBin => "name_bin",
            ErrorKind::NameAbbreviated => "name_abbreviated",
            ErrorKind::NameTypo => "name_typo",
            ErrorKind::DobSwap => "dob_swap",
            ErrorKind::DobYear => "dob_year",
            ErrorKind::DobUnknown => "dob_unknown",
            ErrorKind::KkStale => "kk_stale",
            ErrorKind::Moved => "moved",
            ErrorKind::DeceasedListed => "deceased_listed",
            ErrorKind::Duplicate => "duplicate",
            ErrorKind::RegionForm => "region_form",
            ErrorKind::MalformedColumns => "malformed_columns",
            ErrorKind::MalformedQuote => "malformed_quote",
            ErrorKind::Unregistered => "unregistered",
        }
    }
}

/// One row of `truth_records.csv`, before its line number is known.
#[derive(Clone, Copy, Debug)]
pub struct TruthRow {
    /// Which file.
    pub source: Source,
    /// Row index within this chunk's rows of that file (0-based).
    pub local: u32,
    /// Person id number, 0 for family rows.
    pub person: u64,
    /// Family id number.
    pub family: u64,
    /// Error bits ([`ErrorKind`]).
    pub errors: u32,
    /// The written NIK is the person's true NIK.
    pub nik_valid: bool,
}

impl TruthRow {
    /// Whether the row can be parsed as a row of its layout.
    pub fn well_formed(&self) -> bool {
        self.errors & (ErrorKind::MalformedColumns as u32 | ErrorKind::MalformedQuote as u32) == 0
    }
}

/// The formatted output of one village.
pub struct Chunk {
    /// One buffer per file of [`Source::ALL`].
    pub bufs: Vec<Vec<u8>>,
    /// Rows per file.
    pub rows: Vec<u32>,
    /// Truth rows.
    pub truth: Vec<TruthRow>,
    /// Persons generated.
    pub persons: u64,
    /// Families generated.
    pub families: u64,
}

/// Formats every file's rows for the families of one village.
pub fn write_village(cfg: &Config, village: RegionCode, families: &[Family]) -> Chunk {
    let mut w = Writer {
        cfg,
        rng: Rng::new(cfg.seed ^ 0x736f_7572_6365, village.value()),
        chunk: Chunk {
            bufs: capacities(families)
                .into_iter()
                .map(Vec::with_capacity)
                .collect(),
            rows: vec![0; Source::ALL.len()],
            truth: Vec::new(),
            persons: 0,
            families: families.len() as u64,
        },
        book: CodeBook::official(),
    };
    for (i, f) in families.iter().enumerate() {
        w.chunk.persons += f.members.len() as u64;
        w.truth_family(f, families);
        w.siak(f);
        if f.split_from.is_none() {
            let listed = listed_members(families, i);
            if f.regsosek {
                w.regsosek(f, &listed);
            }
            if let Some(d) = f.dtks {
                w.dtks(f, &listed, d);
            }
            if let Some(decile) = f.p3ke {
                w.p3ke(f, &listed, decile);
            }
        }
        w.supporting(f);
        if f.susenas.is_some() {
            w.susenas(f);
        }
    }
    let dtks = Source::Dtks as usize;
    w.chunk.bufs[dtks] = to_windows_1252(&w.chunk.bufs[dtks]);
    w.chunk
}

/// Expected bytes per file for a village, so buffers are allocated once.
fn capacities(families: &[Family]) -> [usize; 11] {
    let f = families.len();
    let p: usize = families.iter().map(|x| x.members.len()).sum();
    [
        p * 170,
        f * 200,
        p * 110,
        p * 90,
        p * 60,
        p * 4,
        f * 40,
        p * 20,
        f / 50 * 200 + 256,
        f * 80,
        p * 95,
    ]
}

/// A member as an older source lists it: the person, the relationship to that source's head,
/// and the family the person truly belongs to now.
struct Listed<'a> {
    person: &'a Person,
    rel: Relationship,
    family: &'a Family,
    split: bool,
}

/// The members the older sources list for family `i`: its own, plus those of families that
/// split off it after Regsosek (a married child, the child's spouse, their children).
fn listed_members(families: &[Family], i: usize) -> Vec<Listed<'_>> {
    let f = &families[i];
    let mut out: Vec<Listed> = f
        .members
        .iter()
        .map(|p| Listed {
            person: p,
            rel: p.rel,
            family: f,
            split: false,
        })
        .collect();
    for g in families
        .iter()
        .skip(i + 1)
        .filter(|g| g.split_from == Some(i))
    {
        for (k, p) in g.members.iter().enumerate() {
            let rel = if k == g.split_child {
                Relationship::Child
            } else if matches!(
                p.rel,
                Relationship::Head | Relationship::Wife | Relationship::Husband
            ) {
                Relationship::ChildInLaw
            } else {
                Relationship::Grandchild
            };
            out.push(Listed {
                person: p,
                rel,
                family: g,
                split: true,
            });
        }
    }
    out
}

struct Writer<'a> {
    cfg: &'a Config,
    rng: Rng,
    chunk: Chunk,
    book: &'static CodeBook,
}

/// A person as one source records them.
struct Observed {
    name: String,
    nik: Option<Nik>,
    nik_text: Option<String>,
    birth: Date,
    unknown_day: bool,
    unknown_month: bool,
    errors: u32,
}

const SIAK: usize = 0;
const RK: usize = 1;
const RA: usize = 2;
const DTKS: usize = 3;
const P3KE: usize = 4;
const ASN: usize = 5;
const PLN: usize = 6;
const PBI: usize = 7;
const SUS: usize = 8;
const TF: usize = 9;
const TP: usize = 10;

impl Writer<'_> {
    fn buf(&mut self, s: usize) -> &mut Vec<u8> {
        &mut self.chunk.bufs[s]
    }

    /// Ends a row: newline, row count, truth.
    fn end_row(&mut self, s: usize, person: u64, family: u64, errors: u32, nik_valid: bool) {
        self.chunk.bufs[s].push(b'\n');
        let local = self.chunk.rows[s];
        self.chunk.rows[s] += 1;
        if s != TF && s != TP {
            self.chunk.truth.push(TruthRow {
                source: Source::ALL[s],
                local,
                person,
                family,
                errors,
                nik_valid,
            });
        }
    }

    /// Maybe breaks the row just written (wrong column count or a broken quote). Returns the
    /// error bits applied.
    fn maybe_malform(&mut self, s: usize, row_start: usize) -> u32 {
        if !self.rng.chance(self.cfg.rates.malformed) {
            return 0;
        }
        let sep = Source::ALL[s].separator();
        let buf = &mut self.chunk.bufs[s];
        if self.rng.chance(0.5) {
            // Drop the last field (an Excel export cut short).
            if let Some(pos) = buf[row_start..].iter().rposition(|&c| c == sep) {
                buf.truncate(row_start + pos);
                return ErrorKind::MalformedColumns as u32;
            }
            0
        } else {
            // An opening quote that is never closed, before the third field.
            let mut seps = buf[row_start..]
                .iter()
                .enumerate()
                .filter(|(_, &c)| c == sep)
                .map(|(i, _)| i);
            if let (Some(_), Some(second)) = (seps.next(), seps.next()) {
                buf.insert(row_start + second + 1, b'"');
                return ErrorKind::MalformedQuote as u32;
            }
            0
        }
    }

    fn observe(
        &mut self,
        p: &Person,
        listed: &[Listed],
        parent_nik: bool,
        source_date: Date,
    ) -> Observed {
        let r = &self.cfg.rates;
        let rng = &mut self.rng;
        let mut errors = 0u32;
        let age = p.age_on(source_date);
        // NIK.
        let mut nik = p.nik;
        let mut nik_text = None;
        if nik.is_none() {
            errors |= ErrorKind::Unregistered as u32;
        } else if rng.chance(if age < 17 {
            r.nik_missing * 3.0
        } else {
            r.nik_missing
        }) {
            nik = None;
            errors |= ErrorKind::NikMissing as u32;
        } else if parent_nik && age < 17 && rng.chance(r.nik_parent) {
            let parent = listed.iter().find(|l| {
                matches!(
                    l.rel,
                    Relationship::Head | Relationship::Wife | Relationship::Husband
                ) && l.person.nik.is_some()
                    && !std::ptr::eq(l.person, p)
            });
            if let Some(pn) = parent.and_then(|l| l.person.nik) {
                nik = Some(pn);
                errors |= ErrorKind::NikParent as u32;
            }
        } else if rng.chance(r.nik_typo + r.nik_transposition) {
            if let Some(n) = nik {
                let mut d = n.to_string().into_bytes();
                if rng.chance(r.nik_typo / (r.nik_typo + r.nik_transposition)) {
                    let i = rng.below(16) as usize;
                    let old = d[i];
                    while d[i] == old {
                        d[i] = b'0' + rng.below(10) as u8;
                    }
                    errors |= ErrorKind::NikTypo as u32;
                } else {
                    let candidates: Vec<usize> = (0..15).filter(|&i| d[i] != d[i + 1]).collect();
                    if !candidates.is_empty() {
                        let i = candidates[rng.below(candidates.len() as u64) as usize];
                        d.swap(i, i + 1);
                        errors |= ErrorKind::NikTransposition as u32;
                    }
                }
                nik_text = Some(String::from_utf8_lossy(&d).into_owned());
                nik = None;
            }
        }
        // Name.
        let female = p.sex == Sex::Female;
        let father = listed
            .iter()
            .find(|l| {
                matches!(l.rel, Relationship::Head | Relationship::Husband)
                    && l.person.sex == Sex::Male
            })
            .map(|l| l.person.name.as_str())
            .unwrap_or("");
        let mut name = p.name.clone();
        let steps: [(NameVariant, f64, ErrorKind); 7] = [
            (
                NameVariant::Spelling,
                r.name_spelling,
                ErrorKind::NameSpelling,
            ),
            (
                NameVariant::Muhammad,
                r.name_muhammad,
                ErrorKind::NameMuhammad,
            ),
            (NameVariant::Siti, r.name_siti, ErrorKind::NameSiti),
            (
                NameVariant::Abbreviated,
                r.name_abbreviated,
                ErrorKind::NameAbbreviated,
            ),
            (NameVariant::BinBinti, r.name_bin, ErrorKind::NameBin),
            (
                NameVariant::Title,
                if age >= 25 { r.name_title } else { 0.0 },
                ErrorKind::NameTitle,
            ),
            (NameVariant::Typo, r.name_typo, ErrorKind::NameTypo),
        ];
        for (kind, rate, err) in steps {
            if rate > 0.0 && rng.chance(rate) {
                let is_father = std::ptr::eq(father.as_ptr(), p.name.as_ptr());
                let fth = if is_father { "" } else { father };
                if let Some(v) = names::variant(rng, &name, kind, female, fth, p.birth.year()) {
                    if v != name {
                        name = v;
                        errors |= err as u32;
                    }
                }
            }
        }
        // Birth date.
        let mut birth = p.birth;
        let (mut unknown_day, mut unknown_month) = (false, false);
        if birth.day() <= 12 && birth.day() != birth.month() && rng.chance(r.dob_swap) {
            if let Ok(d) = Date::new(birth.year(), birth.day(), birth.month()) {
                birth = d;
                errors |= ErrorKind::DobSwap as u32;
            }
        }
        if rng.chance(r.dob_year) {
            let y = birth.year() + if rng.chance(0.5) { 1 } else { -1 };
            if let Ok(d) = Date::new(y, birth.month(), birth.day().min(28)) {
                birth = d;
                errors |= ErrorKind::DobYear as u32;
            }
        }
        if rng.chance(if age >= 60 {
            r.dob_unknown * 5.0
        } else {
            r.dob_unknown
        }) {
            unknown_day = true;
            unknown_month = rng.chance(0.5);
            errors |= ErrorKind::DobUnknown as u32;
        }
        Observed {
            name,
            nik,
            nik_text,
            birth,
            unknown_day,
            unknown_month,
            errors,
        }
    }

    fn truth_family(&mut self, f: &Family, families: &[Family]) {
        let b = &mut self.chunk.bufs[TF];
        push_id(b, b'F', f.fid);
        b.push(b',');
        f.village.write_digits(b);
        b.push(b',');
        push_num(b, f.pcc.round() as u64, 1);
        b.push(b',');
        if let Some(kk) = f.kk {
            kk.write(b);
        }
        b.push(b',');
        push_num(b, f.members.len() as u64, 1);
        b.push(b',');
        if let Some(i) = f.split_from {
            push_id(b, b'F', families[i].fid);
        }
        b.push(b',');
        if let Some(p) = &f.past {
            p.village.write_digits(b);
        }
        b.push(b',');
        push_f64(b, f.welfare, 4);
        self.end_row(TF, 0, f.fid, 0, false);
        for p in &f.members {
            let b = &mut self.chunk.bufs[TP];
            push_id(b, b'P', p.pid);
            b.push(b',');
            push_id(b, b'F', f.fid);
            b.push(b',');
            if let Some(n) = p.nik {
                n.write(b);
            }
            b.push(b',');
            field(b, &p.name, b',');
            b.push(b',');
            p.birth.write_iso(b);
            b.push(b',');
            push_num(b, u64::from(p.sex.code()), 1);
            b.push(b',');
            push_num(b, u64::from(p.rel.shdk()), 1);
            b.push(b',');
            b.extend_from_slice(if p.death.is_some() { b"MATI" } else { b"HIDUP" });
            b.push(b',');
            if let Some(d) = p.death {
                d.write_iso(b);
            }
            self.end_row(TP, p.pid, f.fid, 0, false);
        }
    }

    fn siak(&mut self, f: &Family) {
        let as_of = self.cfg.as_of;
        for p in &f.members {
            let Some(nik) = p.nik else { continue };
            let start = self.chunk.bufs[SIAK].len();
            let mut errors = 0u32;
            let name_typo = self.rng.chance(self.cfg.rates.siak_name_typo);
            let name = if name_typo {
                errors |= ErrorKind::NameTypo as u32;
                names::typo(&mut self.rng, &p.name)
            } else {
                p.name.clone()
            };
            let padded = self.rng.chance(self.cfg.rates.region_form);
            if padded {
                errors |= ErrorKind::RegionForm as u32;
            }
            let updated = Date::from_days(self.rng.range(f.kk_issued.to_days(), as_of.to_days()));
            let b = self.buf(SIAK);
            nik.write(b);
            b.push(b',');
            if let Some(kk) = f.kk {
                kk.write(b);
            }
            b.push(b',');
            field(b, &name, b',');
            b.push(b',');
            field(b, p.birth_place, b',');
            b.push(b',');
            p.birth.write_iso(b);
            b.push(b',');
            for v in [
                p.sex.code(),
                p.rel.shdk(),
                p.marital.code(),
                p.religion,
                p.educ,
                p.occupation,
            ] {
                push_num(b, u64::from(v), 1);
                b.push(b',');
            }
            let [pr, kb, kc, kl] = f.village.parts();
            push_num(b, u64::from(pr), 1);
            b.push(b',');
            push_num(b, u64::from(kb), 1);
            b.push(b',');
            push_num(b, u64::from(kc), if padded { 2 } else { 1 });
            b.push(b',');
            push_num(b, u64::from(kl), 1);
            b.push(b',');
            field(b, &f.address, b',');
            b.push(b',');
            push_num(b, u64::from(f.rt), 3);
            b.push(b',');
            push_num(b, u64::from(f.rw), 3);
            b.push(b',');
            match p.death {
                Some(d) => {
                    b.extend_from_slice(b"MATI,");
                    d.write_iso(b);
                }
                None => b.extend_from_slice(b"HIDUP,"),
            }
            b.push(b',');
            updated.write_iso(b);
            errors |= self.maybe_malform(SIAK, start);
            self.end_row(SIAK, p.pid, f.fid, errors, true);
        }
    }

    fn regsosek(&mut self, f: &Family, listed: &[Listed]) {
        let day = regsosek_date();
        let members: Vec<&Listed> = listed.iter().filter(|l| l.person.birth <= day).collect();
        if members.is_empty() {
            return;
        }
        let (village, address, rt, rw, moved) = match &f.past {
            Some(p) => (p.village, p.address.as_str(), p.rt, p.rw, true),
            None => (f.village, f.address.as_str(), f.rt, f.rw, false),
        };
        let stale = members.iter().any(|l| l.split);
        let kk = f.past.as_ref().and_then(|p| p.kk).or(f.kk);
        let id = scramble(f.fid, 0x5245_4753);
        let head = self.observe(members[0].person, listed, false, day);
        let enumerated = day.add_days(self.rng.below(30) as i64);
        let mut errors = head.errors & !(ErrorKind::Unregistered as u32);
        if moved {
            errors |= ErrorKind::Moved as u32;
        }
        if stale {
            errors |= ErrorKind::KkStale as u32;
        }
        let h = &f.housing;
        let b = &mut self.chunk.bufs[RK];
        push_num(b, id, 12);
        let [pr, kb, kc, kl] = village.parts();
        for (v, wdt) in [(pr, 2), (kb, 2), (kc, 2), (kl, 4)] {
            b.push(b',');
            push_num(b, u64::from(v), wdt);
        }
        b.push(b',');
        push_num(b, u64::from(rw) * 100 + u64::from(rt), 4);
        b.push(b',');
        field(b, address, b',');
        b.push(b',');
        field(b, &head.name, b',');
        b.push(b',');
        push_num(b, members.len() as u64, 1);
        b.push(b',');
        if let Some(kk) = kk {
            kk.write(b);
        }
        for v in [
            u16::from(h.r301a),
            u16::from(h.r301b),
            h.r302,
            u16::from(h.r303),
            u16::from(h.r304),
            u16::from(h.r305),
            u16::from(h.r306a),
            u16::from(h.r307a),
            u16::from(h.r307b),
            u16::from(h.r308),
            u16::from(h.r309a),
            u16::from(h.r309b),
            u16::from(h.r310),
        ] {
            b.push(b',');
            // Zero marks an item skipped by the questionnaire's routing: left empty.
            if v != 0 {
                push_num(b, u64::from(v), 1);
            }
        }
        for a in h.assets.iter().chain(h.land.iter()) {
            b.push(b',');
            b.push(if *a { b'1' } else { b'2' });
        }
        for n in h.livestock {
            b.push(b',');
            push_num(b, u64::from(n), 1);
        }
        b.push(b',');
        push_num(b, u64::from(h.r505), 1);
        b.push(b',');
        push_num(b, u64::from(h.r506), 1);
        b.push(b',');
        push_f64(b, f.lat, 6);
        b.push(b',');
        push_f64(b, f.lon, 6);
        b.push(b',');
        enumerated.write_iso(b);
        self.end_row(RK, 0, f.fid, errors, false);

        for (k, l) in members.iter().enumerate() {
            let p = l.person;
            let o = self.observe(p, listed, false, day);
            let mut errors = o.errors;
            if moved {
                errors |= ErrorKind::Moved as u32;
            }
            if l.split {
                errors |= ErrorKind::KkStale as u32;
            }
            let died = p.death.is_some_and(|d| d <= day);
            let age = p.age_on(day).max(0);
            let female = p.sex == Sex::Female;
            let b = &mut self.chunk.bufs[RA];
            push_num(b, id, 12);
            b.push(b',');
            push_num(b, (k + 1) as u64, 1);
            b.push(b',');
            field(b, &o.name, b',');
            b.push(b',');
            write_nik(b, &o);
            b.push(b',');
            b.push(if died { b'2' } else { b'1' });
            b.push(b',');
            push_num(b, u64::from(p.sex.code()), 1);
            b.push(b',');
            // DD-MM-YYYY with 98 for an unknown day or month.
            push_num(
                b,
                if o.unknown_day {
                    98
                } else {
                    u64::from(o.birth.day())
                },
                2,
            );
            b.push(b'-');
            push_num(
                b,
                if o.unknown_month {
                    98
                } else {
                    u64::from(o.birth.month())
                },
                2,
            );
            b.push(b'-');
            push_num(b, o.birth.year() as u64, 4);
            b.push(b',');
            push_num(b, age as u64, 1);
            b.push(b',');
            push_num(b, u64::from(p.marital.code()), 1);
            b.push(b',');
            push_num(b, u64::from(l.rel.regsosek()), 1);
            b.push(b',');
            if female
                && (10..=54).contains(&age)
                && p.marital != dtsen_core::MaritalStatus::NeverMarried
            {
                b.push(if p.pregnant { b'1' } else { b'2' });
            }
            b.push(b',');
            if age >= 5 {
                push_num(b, u64::from(p.school), 1);
            }
            b.push(b',');
            if p.cert != 0 && age >= 5 {
                push_num(b, u64::from(p.cert), 1);
            }
            b.push(b',');
            if age >= 5 {
                b.push(if p.works { b'1' } else { b'2' });
            }
            b.push(b',');
            if p.works {
                push_num(b, u64::from(p.industry), 1);
            }
            b.push(b',');
            if p.works {
                push_num(b, u64::from(p.job_status), 1);
            }
            b.push(b',');
            if age >= 5 {
                b.push(if p.business { b'1' } else { b'2' });
            }
            // Questionnaire routing by age on the enumeration day: r428a–f from 2, g–j from 5.
            for (k, d) in p.difficulty.iter().enumerate() {
                b.push(b',');
                let asked = if k < 6 { age >= 2 } else { age >= 5 };
                if asked && *d != 0 {
                    push_num(b, u64::from(*d), 1);
                }
            }
            b.push(b',');
            push_num(b, u64::from(p.chronic), 1);
            b.push(b',');
            push_num(b, u64::from(p.insurance), 1);
            let valid = o.nik.is_some() && o.nik == p.nik;
            self.end_row(RA, p.pid, l.family.fid, errors, valid);
        }
    }

    fn dtks(&mut self, f: &Family, listed: &[Listed], flags: (bool, bool, bool, Date)) {
        let (pkh, bpnt, pbi, updated) = flags;
        let (village, address, rt, rw, moved) = match &f.past {
            Some(p) => (p.village, p.address.as_str(), p.rt, p.rw, true),
            None => (f.village, f.address.as_str(), f.rt, f.rw, false),
        };
        let kk = f.past.as_ref().and_then(|p| p.kk).or(f.kk);
        let book = self.book;
        let occ = book.list("pekerjaan_dukcapil");
        let label = |list: &str, code: u8| -> String {
            book.list(list)
                .and_then(|l| l.label(u16::from(code), Lang::Id))
                .unwrap_or("LAINNYA")
                .to_uppercase()
        };
        let floor = label("r303", f.housing.r303);
        let wall = label("r304", f.housing.r304);
        let water = label("r306a", f.housing.r306a);
        let light = label("r307a", f.housing.r307a);
        for l in listed {
            let p = l.person;
            if p.birth > updated || p.death.is_some_and(|d| d <= updated) {
                continue;
            }
            let copies = if self.rng.chance(self.cfg.rates.dtks_duplicate) {
                2
            } else {
                1
            };
            for copy in 0..copies {
                let o = self.observe(p, listed, true, updated);
                let mut errors = o.errors;
                if moved {
                    errors |= ErrorKind::Moved as u32;
                }
                if l.split {
                    errors |= ErrorKind::KkStale as u32;
                }
                if p.death.is_some() {
                    errors |= ErrorKind::DeceasedListed as u32;
                }
                if copy == 1 {
                    errors |= ErrorKind::Duplicate as u32;
                }
                let plain = self.rng.chance(self.cfg.rates.region_form);
                if plain {
                    errors |= ErrorKind::RegionForm as u32;
                }
                let start = self.chunk.bufs[DTKS].len();
                let b = &mut self.chunk.bufs[DTKS];
                let sep = b';';
                push_num(b, scramble(p.pid * 2 + copy, 0x4454_4b53), 12);
                b.push(sep);
                write_nik(b, &o);
                b.push(sep);
                if let Some(kk) = kk {
                    kk.write(b);
                }
                b.push(sep);
                field(b, &o.name, sep);
                b.push(sep);
                field(b, p.birth_place, sep);
                b.push(sep);
                push_num(
                    b,
                    if o.unknown_day {
                        1
                    } else {
                        u64::from(o.birth.day())
                    },
                    2,
                );
                b.push(b'-');
                push_num(
                    b,
                    if o.unknown_month {
                        7
                    } else {
                        u64::from(o.birth.month())
                    },
                    2,
                );
                b.push(b'-');
                push_num(b, o.birth.year() as u64, 4);
                b.push(sep);
                b.push(if p.sex == Sex::Female { b'P' } else { b'L' });
                b.push(sep);
                b.extend_from_slice(l.rel.dtks_label().as_bytes());
                b.push(sep);
                field(b, &dtks_address(address), sep);
                b.push(sep);
                push_num(b, u64::from(rt), 3);
                b.push(sep);
                push_num(b, u64::from(rw), 3);
                b.push(sep);
                if plain {
                    village.write_digits(b);
                } else {
                    village.write_dotted(b);
                }
                b.push(sep);
                let job = occ
                    .and_then(|l| l.label(u16::from(p.occupation), Lang::Id))
                    .unwrap_or("LAINNYA")
                    .to_uppercase();
                field(b, &job, sep);
                for t in [&floor, &wall, &water, &light] {
                    b.push(sep);
                    field(b, t, sep);
                }
                for flag in [pkh, bpnt, pbi] {
                    b.push(sep);
                    b.push(if flag { b'Y' } else { b'T' });
                }
                b.push(sep);
                updated.write_dmy(b, b'-');
                errors |= self.maybe_malform(DTKS, start);
                let valid = o.nik.is_some() && o.nik == p.nik;
                self.end_row(DTKS, p.pid, l.family.fid, errors, valid);
            }
        }
    }

    fn p3ke(&mut self, f: &Family, listed: &[Listed], decile: u8) {
        // P3KE rests on the BKKBN family census of 2021, updated in 2022.
        let data_date = Date::from_days(19_174); // 2022-07-01
        let (village, address, moved) = match &f.past {
            Some(p) => (p.village, p.address.as_str(), true),
            None => (f.village, f.address.as_str(), false),
        };
        let kk = f.past.as_ref().and_then(|p| p.kk).or(f.kk);
        let id = scramble(f.fid, 0x5033_4b45);
        let book = self.book;
        let label = |list: &str, code: u8| -> String {
            book.list(list)
                .and_then(|l| l.label(u16::from(code), Lang::Id))
                .unwrap_or("Lainnya")
                .to_owned()
        };
        let roof = label("r305", f.housing.r305);
        let floor = label("r303", f.housing.r303);
        let own = f.housing.r301a == 1;
        for l in listed {
            let p = l.person;
            if p.birth > data_date || p.death.is_some_and(|d| d <= data_date) {
                continue;
            }
            let o = self.observe(p, listed, true, data_date);
            let mut errors = o.errors;
            if moved {
                errors |= ErrorKind::Moved as u32;
            }
            if l.split {
                errors |= ErrorKind::KkStale as u32;
            }
            if p.death.is_some() {
                errors |= ErrorKind::DeceasedListed as u32;
            }
            let dotted = self.rng.chance(self.cfg.rates.region_form);
            if dotted {
                errors |= ErrorKind::RegionForm as u32;
            }
            let start = self.chunk.bufs[P3KE].len();
            let b = &mut self.chunk.bufs[P3KE];
            let sep = b'|';
            push_num(b, id, 12);
            b.push(sep);
            push_num(b, u64::from(decile), 1);
            b.push(sep);
            if let Some(kk) = kk {
                kk.write(b);
            }
            b.push(sep);
            if dotted {
                village.write_dotted(b);
            } else {
                village.write_digits(b);
            }
            b.push(sep);
            field(b, address, sep);
            b.push(sep);
            write_nik(b, &o);
            b.push(sep);
            field(b, &o.name, sep);
            b.push(sep);
            push_num(
                b,
                if o.unknown_day {
                    1
                } else {
                    u64::from(o.birth.day())
                },
                2,
            );
            b.push(b'/');
            push_num(
                b,
                if o.unknown_month {
                    1
                } else {
                    u64::from(o.birth.month())
                },
                2,
            );
            b.push(b'/');
            push_num(b, o.birth.year() as u64, 4);
            b.push(sep);
            b.extend_from_slice(if p.sex == Sex::Female {
                b"Perempuan"
            } else {
                b"Laki-laki"
            });
            b.push(sep);
            b.extend_from_slice(title_case(l.rel.dtks_label()).as_bytes());
            b.push(sep);
            field(b, &label("pendidikan_dukcapil", p.educ), sep);
            b.push(sep);
            field(b, &label("pekerjaan_dukcapil", p.occupation), sep);
            b.push(sep);
            b.extend_from_slice(if own { b"Ya" } else { b"Tidak" });
            b.push(sep);
            field(b, &roof, sep);
            b.push(sep);
            field(b, &floor, sep);
            errors |= self.maybe_malform(P3KE, start);
            let valid = o.nik.is_some() && o.nik == p.nik;
            self.end_row(P3KE, p.pid, l.family.fid, errors, valid);
        }
    }

    /// ASN, PLN and BPJS PBI rows.
    fn supporting(&mut self, f: &Family) {
        const INSTANSI: [&str; 5] = ["PEMERINTAH DAERAH", "TNI", "POLRI", "BUMN", "BUMD"];
        const JENIS: [&str; 5] = ["ASN", "TNI", "POLRI", "BUMN", "BUMD"];
        let regency = f
            .village
            .ancestor(Level::Regency)
            .and_then(|r| dtsen_core::RegionTable::official().get(r))
            .map(|r| r.name.to_uppercase())
            .unwrap_or_default();
        for p in &f.members {
            let (Some(nik), Some(kind)) = (p.nik, p.asn) else {
                continue;
            };
            if p.death.is_some() {
                continue;
            }
            let b = &mut self.chunk.bufs[ASN];
            nik.write(b);
            b.push(b',');
            field(b, &p.name, b',');
            b.push(b',');
            let inst = match kind {
                0 => format!("{} {}", INSTANSI[0], regency),
                1 => "TNI ANGKATAN DARAT".to_owned(),
                2 => format!("POLRES {regency}"),
                3 => "PT PLN (PERSERO)".to_owned(),
                _ => format!("PDAM {regency}"),
            };
            field(b, &inst, b',');
            b.push(b',');
            b.extend_from_slice(JENIS[usize::from(kind)].as_bytes());
            self.end_row(ASN, p.pid, f.fid, 0, true);
        }
        if f.housing.r307a == 1 {
            let holder = if f.members.len() > 1 && self.rng.chance(0.1) {
                &f.members[1]
            } else {
                &f.members[0]
            };
            let missing = holder.nik.is_none() || self.rng.chance(0.04);
            let va: u64 = match f.housing.r307b {
                1 => 450,
                2 => 900,
                3 => 1300,
                4 => 2200,
                _ => *self.rng.pick(&[3500, 4400, 5500]),
            };
            let subsidi = va == 450 || (va == 900 && f.dtks.is_some());
            let b = &mut self.chunk.bufs[PLN];
            push_num(b, scramble(f.fid, 0x0050_4c4e), 12);
            b.push(b',');
            if !missing {
                if let Some(n) = holder.nik {
                    n.write(b);
                }
            }
            b.push(b',');
            push_num(b, va, 1);
            b.push(b',');
            b.push(if subsidi { b'Y' } else { b'T' });
            let errors = if missing {
                ErrorKind::NikMissing as u32
            } else {
                0
            };
            self.end_row(PLN, holder.pid, f.fid, errors, !missing);
        }
        for p in &f.members {
            let (Some(nik), Some((apbn, active))) = (p.nik, p.pbi) else {
                continue;
            };
            let b = &mut self.chunk.bufs[PBI];
            nik.write(b);
            b.push(b',');
            push_num(b, scramble(p.pid, 0x4250_4a53), 13);
            b.push(b',');
            b.extend_from_slice(if apbn { b"APBN" } else { b"APBD" });
            b.push(b',');
            b.extend_from_slice(if active { b"AKTIF" } else { b"NONAKTIF" });
            let errors = if p.death.is_some() {
                ErrorKind::DeceasedListed as u32
            } else {
                0
            };
            self.end_row(PBI, p.pid, f.fid, errors, true);
        }
    }

    fn susenas(&mut self, f: &Family) {
        let as_of = self.cfg.as_of;
        let living: Vec<&Person> = f.members.iter().filter(|p| p.alive_on(as_of)).collect();
        if living.is_empty() {
            return;
        }
        let h = &f.housing;
        let head = living[0];
        let count =
            |pred: &dyn Fn(&Person) -> bool| living.iter().filter(|p| pred(p)).count() as u64;
        let b = &mut self.chunk.bufs[SUS];
        push_num(b, scramble(f.fid, 0x5355_5345), 12);
        for level in [
            Level::Province,
            Level::Regency,
            Level::District,
            Level::Village,
        ] {
            b.push(b',');
            if let Some(c) = f.village.ancestor(level) {
                c.write_digits(b);
            }
        }
        b.push(b',');
        b.push(if f.village.kind() == dtsen_core::RegionKind::Kelurahan {
            b'1'
        } else {
            b'2'
        });
        let mut nums: Vec<u64> = vec![
            living.len() as u64,
            u64::from(h.r301a),
            u64::from(h.r302),
            u64::from(h.r303),
            u64::from(h.r304),
            u64::from(h.r305),
            u64::from(h.r306a),
            u64::from(h.r307a),
            u64::from(h.r307b),
            u64::from(h.r308),
            u64::from(h.r309a),
            u64::from(h.r309b),
            u64::from(h.r310),
        ];
        nums.extend(h.assets.iter().chain(h.land.iter()).map(|&a| u64::from(a)));
        nums.extend(h.livestock.iter().map(|&n| u64::from(n)));
        nums.extend([u64::from(h.r505), u64::from(h.r506)]);
        nums.extend([
            count(&|p| p.age_on(as_of) < 5),
            count(&|p| (5..15).contains(&p.age_on(as_of))),
            count(&|p| (15..60).contains(&p.age_on(as_of))),
            count(&|p| p.age_on(as_of) >= 60),
            count(&|p| p.works),
            count(&|p| p.school == 2),
            count(&|p| p.difficulty.iter().any(|&d| (1..=2).contains(&d))),
            count(&|p| p.chronic > 1),
            count(&|p| p.educ >= 5),
            head.age_on(as_of).max(0) as u64,
            u64::from(head.sex.code()),
            u64::from(head.marital.code()),
            u64::from(head.cert),
            if head.works { 1 } else { 2 },
            u64::from(head.industry),
            u64::from(head.job_status),
            count(&|p| p.pbi.is_some()),
            count(&|p| p.asn.is_some()),
            u64::from(living.iter().any(|p| p.business)),
            f.pcc.round() as u64,
        ]);
        for n in nums {
            b.push(b',');
            push_num(b, n, 1);
        }
        b.push(b',');
        push_f64(b, f.susenas.unwrap_or(1.0), 2);
        self.end_row(SUS, 0, f.fid, 0, false);
    }
}

fn write_nik(b: &mut Vec<u8>, o: &Observed) {
    if let Some(n) = o.nik {
        n.write(b);
    } else if let Some(t) = &o.nik_text {
        b.extend_from_slice(t.as_bytes());
    }
}

/// `P` or `F` and the id number.
pub fn push_id(b: &mut Vec<u8>, prefix: u8, id: u64) {
    b.push(prefix);
    push_num(b, id, 16);
}

/// Writes a field, quoting it when it holds the separator or a quote.
pub fn field(b: &mut Vec<u8>, s: &str, sep: u8) {
    if s.bytes().any(|c| c == sep || c == b'"' || c == b'\n') {
        b.push(b'"');
        for c in s.bytes() {
            if c == b'"' {
                b.push(b'"');
            }
            b.push(c);
        }
        b.push(b'"');
    } else {
        b.extend_from_slice(s.as_bytes());
    }
}

/// A decimal with `places` digits after the point, without allocating.
pub fn push_f64(b: &mut Vec<u8>, x: f64, places: u32) {
    let scale = 10u64.pow(places);
    let neg = x < 0.0;
    let v = (x.abs() * scale as f64).round() as u64;
    if neg && v != 0 {
        b.push(b'-');
    }
    push_num(b, v / scale, 1);
    if places > 0 {
        b.push(b'.');
        push_num(b, v % scale, places as usize);
    }
}

/// A bijective scramble of an id into 12 digits (so source ids do not reveal the truth ids).
pub fn scramble(id: u64, salt: u64) -> u64 {
    let mut x = id ^ salt;
    x = x.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^= x >> 29;
    x % 1_000_000_000_000
}

fn title_case(s: &str) -> String {
    s.split(' ')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_string() + &c.as_str().to_lowercase(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// DTKS addresses come from older data entry: a few carry typographic characters that an
/// Excel export writes in Windows-1252.
fn dtks_address(a: &str) -> String {
    if a.starts_with("JL. KH") || a.contains("MASJID") {
        a.replace("MASJID", "MASJID \u{2013} KH. MA\u{2019}RUF")
    } else {
        a.to_owned()
    }
}

/// Re-encodes UTF-8 text as Windows-1252 (characters it cannot hold become `?`).
pub fn to_windows_1252(utf8: &[u8]) -> Vec<u8> {
    if utf8.is_ascii() {
        return utf8.to_vec();
    }
    let text = String::from_utf8_lossy(utf8);
    let mut out = Vec::with_capacity(utf8.len());
    for ch in text.chars() {
        let c = ch as u32;
        let byte = match ch {
            _ if c < 0x80 => c as u8,
            '\u{2013}' => 0x96,
            '\u{2014}' => 0x97,
            '\u{2018}' => 0x91,
            '\u{2019}' => 0x92,
            '\u{201C}' => 0x93,
            '\u{201D}' => 0x94,
            '\u{20AC}' => 0x80,
            _ if (0xA0..=0xFF).contains(&c) => c as u8,
            _ => b'?',
        };
        out.push(byte);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_needed() {
        let mut b = Vec::new();
        field(&mut b, "SUPARMAN, S.PD.", b',');
        assert_eq!(b, b"\"SUPARMAN, S.PD.\"");
        b.clear();
        field(&mut b, "SUPARMAN, S.PD.", b';');
        assert_eq!(b, b"SUPARMAN, S.PD.");
    }

    #[test]
    fn windows_1252_holds_the_typographic_characters() {
        assert_eq!(
            to_windows_1252("MA\u{2019}RUF \u{2013} A".as_bytes()),
            b"MA\x92RUF \x96 A".to_vec()
        );
        assert_eq!(to_windows_1252(b"PLAIN"), b"PLAIN".to_vec());
    }

    #[test]
    fn decimals_are_written_without_float_formatting() {
        let mut b = Vec::new();
        push_f64(&mut b, -7.81234567, 6);
        assert_eq!(b, b"-7.812346");
        b.clear();
        push_f64(&mut b, 12.5, 2);
        assert_eq!(b, b"12.50");
    }

    #[test]
    fn headers_have_the_documented_columns() {
        assert!(Source::Siak.header().starts_with("NIK,NO_KK,NAMA_LGKP"));
        assert_eq!(
            Source::RegsosekKeluarga.header().split(',').count(),
            23 + 14 + 2 + 5 + 5
        );
        assert_eq!(
            Source::RegsosekAnggota.header().split(',').count(),
            17 + 10 + 2
        );
        assert_eq!(Source::Dtks.header().split(';').count(), 21);
        assert_eq!(Source::P3ke.header().split('|').count(), 15);
    }
}
