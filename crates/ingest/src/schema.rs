//! The layouts of `shared/formats.md`: file names, separators, the columns each source must
//! have, and how a header is matched to them (by name, case-insensitively, in any order).

/// A source the ingest knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SourceKind {
    /// Civil registry extract.
    Siak,
    /// Regsosek 2022 family file.
    RegsosekKeluarga,
    /// Regsosek 2022 member file.
    RegsosekAnggota,
    /// DTKS.
    Dtks,
    /// P3KE.
    P3ke,
    /// Civil servants.
    Asn,
    /// Electricity customers.
    Pln,
    /// Health-insurance contribution recipients.
    BpjsPbi,
    /// Household consumption survey sample.
    Susenas,
}

/// What a source looks like.
pub struct Spec {
    /// The source.
    pub kind: SourceKind,
    /// Key in reports and rejects (`siak`, `dtks`, ...).
    pub key: &'static str,
    /// File name stem (`siak_penduduk` for `siak_penduduk.csv` and `.csv.gz`).
    pub stem: &'static str,
    /// Usual separator.
    pub separator: char,
    /// Columns read by name; the ones marked required must be in the header.
    pub columns: &'static [(&'static str, bool)],
    /// Columns that must be non-empty in every row (else the row is rejected).
    pub must_have: &'static [&'static str],
}

impl SourceKind {
    /// All sources, in processing order.
    pub const ALL: [SourceKind; 9] = [
        SourceKind::Siak,
        SourceKind::RegsosekKeluarga,
        SourceKind::RegsosekAnggota,
        SourceKind::Dtks,
        SourceKind::P3ke,
        SourceKind::Asn,
        SourceKind::Pln,
        SourceKind::BpjsPbi,
        SourceKind::Susenas,
    ];

    /// The layout of this source.
    pub fn spec(self) -> &'static Spec {
        match self {
            SourceKind::Siak => &SIAK,
            SourceKind::RegsosekKeluarga => &REGSOSEK_KELUARGA,
            SourceKind::RegsosekAnggota => &REGSOSEK_ANGGOTA,
            SourceKind::Dtks => &DTKS,
            SourceKind::P3ke => &P3KE,
            SourceKind::Asn => &ASN,
            SourceKind::Pln => &PLN,
            SourceKind::BpjsPbi => &BPJS,
            SourceKind::Susenas => &SUSENAS,
        }
    }
}

const R: bool = true;
const O: bool = false;

/// Columns of the siak layout.
pub const SIAK_COLS: &[(&str, bool)] = &[
    ("NIK", R),
    ("NO_KK", R),
    ("NAMA_LGKP", R),
    ("TMPT_LHR", O),
    ("TGL_LHR", R),
    ("JENIS_KLMIN", R),
    ("STAT_HBKEL", R),
    ("STAT_KWN", O),
    ("AGAMA", O),
    ("PDDK_AKH", O),
    ("JENIS_PKRJN", O),
    ("NO_PROP", R),
    ("NO_KAB", R),
    ("NO_KEC", R),
    ("NO_KEL", R),
    ("ALAMAT", O),
    ("NO_RT", O),
    ("NO_RW", O),
    ("STATUS_HIDUP", O),
    ("TGL_MATI", O),
    ("TGL_UPDATE", O),
];

static SIAK: Spec = Spec {
    kind: SourceKind::Siak,
    key: "siak",
    stem: "siak_penduduk",
    separator: ',',
    columns: SIAK_COLS,
    must_have: &["NIK", "NAMA_LGKP"],
};

/// Columns of the regsosek_keluarga layout.
pub const REGSOSEK_KELUARGA_COLS: &[(&str, bool)] = &[
    ("id_keluarga", R),
    ("r101", R),
    ("r102", R),
    ("r103", R),
    ("r104", R),
    ("r105", O),
    ("r107", O),
    ("r108", O),
    ("r112", O),
    ("r114", O),
    ("r301a", O),
    ("r301b", O),
    ("r302", O),
    ("r303", O),
    ("r304", O),
    ("r305", O),
    ("r306a", O),
    ("r307a", O),
    ("r307b", O),
    ("r308", O),
    ("r309a", O),
    ("r309b", O),
    ("r310", O),
    ("r502a", O),
    ("r502b", O),
    ("r502c", O),
    ("r502d", O),
    ("r502e", O),
    ("r502f", O),
    ("r502g", O),
    ("r502h", O),
    ("r502i", O),
    ("r502j", O),
    ("r502k", O),
    ("r502l", O),
    ("r502m", O),
    ("r502n", O),
    ("r503a", O),
    ("r503b", O),
    ("r504a", O),
    ("r504b", O),
    ("r504c", O),
    ("r504d", O),
    ("r504e", O),
    ("r505", O),
    ("r506", O),
    ("latitude", O),
    ("longitude", O),
    ("tanggal_pendataan", O),
];

static REGSOSEK_KELUARGA: Spec = Spec {
    kind: SourceKind::RegsosekKeluarga,
    key: "regsosek_keluarga",
    stem: "regsosek_keluarga",
    separator: ',',
    columns: REGSOSEK_KELUARGA_COLS,
    must_have: &["id_keluarga"],
};

/// Columns of the regsosek_anggota layout.
pub const REGSOSEK_ANGGOTA_COLS: &[(&str, bool)] = &[
    ("id_keluarga", R),
    ("r401", O),
    ("r402", R),
    ("r403", R),
    ("r404", O),
    ("r405", R),
    ("r406", R),
    ("r407", O),
    ("r408", O),
    ("r409", R),
    ("r410", O),
    ("r412", O),
    ("r415", O),
    ("r416a", O),
    ("r417", O),
    ("r418", O),
    ("r420", O),
    ("r428a", O),
    ("r428b", O),
    ("r428c", O),
    ("r428d", O),
    ("r428e", O),
    ("r428f", O),
    ("r428g", O),
    ("r428h", O),
    ("r428i", O),
    ("r428j", O),
    ("r430", O),
    ("r431a", O),
];

static REGSOSEK_ANGGOTA: Spec = Spec {
    kind: SourceKind::RegsosekAnggota,
    key: "regsosek_anggota",
    stem: "regsosek_anggota",
    separator: ',',
    columns: REGSOSEK_ANGGOTA_COLS,
    must_have: &["id_keluarga", "r402"],
};

/// Columns of the dtks layout.
pub const DTKS_COLS: &[(&str, bool)] = &[
    ("IDDTKS", O),
    ("NIK", R),
    ("NOKK", R),
    ("NAMA", R),
    ("TMP_LAHIR", O),
    ("TGL_LAHIR", R),
    ("JENIS_KELAMIN", R),
    ("HUB_KEL", R),
    ("ALAMAT", O),
    ("RT", O),
    ("RW", O),
    ("KODE_WILAYAH", R),
    ("PEKERJAAN", O),
    ("JENIS_LANTAI", O),
    ("JENIS_DINDING", O),
    ("SUMBER_AIR", O),
    ("PENERANGAN", O),
    ("STATUS_PKH", O),
    ("STATUS_BPNT", O),
    ("STATUS_PBI", O),
    ("TGL_UPDATE", O),
];

static DTKS: Spec = Spec {
    kind: SourceKind::Dtks,
    key: "dtks",
    stem: "dtks",
    separator: ';',
    columns: DTKS_COLS,
    must_have: &["NAMA"],
};

/// Columns of the p3ke layout.
pub const P3KE_COLS: &[(&str, bool)] = &[
    ("ID_KELUARGA_P3KE", R),
    ("DESIL_P3KE", O),
    ("NO_KK", R),
    ("KODE_DESA", R),
    ("ALAMAT", O),
    ("NIK", R),
    ("NAMA", R),
    ("TANGGAL_LAHIR", R),
    ("JENIS_KELAMIN", R),
    ("HUBUNGAN", R),
    ("PENDIDIKAN", O),
    ("PEKERJAAN", O),
    ("PUNYA_RUMAH", O),
    ("JENIS_ATAP", O),
    ("JENIS_LANTAI", O),
];

static P3KE: Spec = Spec {
    kind: SourceKind::P3ke,
    key: "p3ke",
    stem: "p3ke",
    separator: '|',
    columns: P3KE_COLS,
    must_have: &["ID_KELUARGA_P3KE", "NAMA"],
};

/// Columns of the asn layout.
pub const ASN_COLS: &[(&str, bool)] = &[("NIK", R), ("NAMA", O), ("INSTANSI", O), ("JENIS", R)];

static ASN: Spec = Spec {
    kind: SourceKind::Asn,
    key: "asn",
    stem: "asn",
    separator: ',',
    columns: ASN_COLS,
    must_have: &["NIK"],
};

/// Columns of the pln layout.
pub const PLN_COLS: &[(&str, bool)] = &[
    ("ID_PELANGGAN", R),
    ("NIK", R),
    ("DAYA_VA", O),
    ("SUBSIDI", O),
];

static PLN: Spec = Spec {
    kind: SourceKind::Pln,
    key: "pln",
    stem: "pln",
    separator: ',',
    columns: PLN_COLS,
    must_have: &["ID_PELANGGAN"],
};

/// Columns of the bpjs layout.
pub const BPJS_COLS: &[(&str, bool)] =
    &[("NIK", R), ("NO_KARTU", O), ("JENIS_PBI", O), ("STATUS", O)];

static BPJS: Spec = Spec {
    kind: SourceKind::BpjsPbi,
    key: "bpjs_pbi",
    stem: "bpjs_pbi",
    separator: ',',
    columns: BPJS_COLS,
    must_have: &["NIK"],
};

/// Columns of the susenas layout.
pub const SUSENAS_COLS: &[(&str, bool)] = &[
    ("kode_kelurahan_desa", O),
    ("jumlah_anggota_keluarga", R),
    ("pengeluaran_per_kapita", R),
    ("bobot", R),
];

static SUSENAS: Spec = Spec {
    kind: SourceKind::Susenas,
    key: "susenas",
    stem: "susenas",
    separator: ',',
    columns: SUSENAS_COLS,
    must_have: &["pengeluaran_per_kapita"],
};

/// Normalises a header name for matching: trimmed, upper case, BOM and quotes removed.
pub fn header_key(s: &str) -> String {
    s.trim_start_matches('\u{FEFF}')
        .trim()
        .trim_matches('"')
        .trim()
        .to_uppercase()
}

/// A header matched to a spec.
#[derive(Debug, Clone)]
pub struct HeaderMap {
    /// For each spec column, its index in the file, if present.
    pub index: Vec<Option<usize>>,
    /// Columns of the file not in the spec: (index, original name), kept as raw attributes.
    pub extra: Vec<(usize, String)>,
    /// Duplicate header names (the first occurrence is used; later ones are kept as extras).
    pub duplicates: Vec<String>,
    /// Required columns missing from the header.
    pub missing: Vec<&'static str>,
    /// Number of columns in the header.
    pub width: usize,
    /// Spec column name → file index, for fast lookups by name.
    pub by_name: foldhash::HashMap<&'static str, usize>,
    /// The columns every record must have, with their file index.
    pub must: Vec<(&'static str, Option<usize>)>,
}

impl HeaderMap {
    /// Matches header fields against a spec.
    pub fn new(spec: &Spec, header: &[String]) -> HeaderMap {
        let keys: Vec<String> = header.iter().map(|h| header_key(h)).collect();
        let mut index = Vec::with_capacity(spec.columns.len());
        let mut used = vec![false; keys.len()];
        let mut missing = Vec::new();
        for (name, required) in spec.columns {
            let want = name.to_uppercase();
            let i = keys.iter().position(|k| *k == want);
            if let Some(i) = i {
                used[i] = true;
            } else if *required {
                missing.push(*name);
            }
            index.push(i);
        }
        let mut duplicates = Vec::new();
        let mut extra = Vec::new();
        for (i, k) in keys.iter().enumerate() {
            if used[i] {
                continue;
            }
            if keys[..i].contains(k) {
                duplicates.push(header[i].clone());
            }
            extra.push((i, header[i].trim().to_owned()));
        }
        let mut by_name = foldhash::HashMap::default();
        for ((name, _), i) in spec.columns.iter().zip(&index) {
            if let Some(i) = i {
                by_name.insert(*name, *i);
            }
        }
        let must = spec
            .must_have
            .iter()
            .map(|n| (*n, by_name.get(n).copied()))
            .collect();
        HeaderMap {
            index,
            extra,
            duplicates,
            missing,
            width: header.len(),
            by_name,
            must,
        }
    }

    /// How many spec columns were found.
    pub fn found(&self) -> usize {
        self.index.iter().filter(|i| i.is_some()).count()
    }
}

/// The position of a column in a layout's column list, at compile time (an unknown name
/// fails the build).
pub const fn pos(cols: &[(&str, bool)], name: &str) -> usize {
    let mut i = 0;
    while i < cols.len() {
        let a = cols[i].0.as_bytes();
        let b = name.as_bytes();
        if a.len() == b.len() {
            let mut k = 0;
            while k < a.len() && a[k] == b[k] {
                k += 1;
            }
            if k == a.len() {
                return i;
            }
        }
        i += 1;
    }
    panic!("no such column in the layout")
}

/// A column position resolved at compile time: `col!(SIAK_COLS, "NIK")`.
#[macro_export]
macro_rules! col {
    ($cols:expr, $name:literal) => {{
        const P: usize = $crate::schema::pos($cols, $name);
        P
    }};
}
