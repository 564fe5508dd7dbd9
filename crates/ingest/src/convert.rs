//! One row of a source → one canonical record (TSV row) with its warnings, or a reject.
//!
//! The canonical files (see ARCHITECTURE.md, "ingest output"):
//! - `persons.tsv`: one row per person record of SIAK, Regsosek members, DTKS, P3KE;
//! - `families.tsv`: one row per Regsosek family;
//! - `lists.tsv`: one row per ASN, PLN or BPJS PBI record;
//! - `survey.tsv`: the Susenas sample, checked.

use crate::reader::Fields;
use crate::schema::{col, HeaderMap, SourceKind, Spec};
use crate::values::{self, DateLayout, KkStatus, NikStatus, PartialDate, RegionStatus, Vocab};
use dtsen_core::{Date, NameRules, RegionTable, Relationship, Sex};

/// Header of `persons.tsv`.
pub const PERSONS_HEADER: &str = "source\tline\tsource_id\tfamily_key\tnik\tnik_status\tkk\tkk_status\tname\tname_std\tfather_std\tbirth_date\tsex\trelationship\tmarital\tregion\tregion_status\taddress\trt\trw\talive\tdeath_date\twarnings\tattrs";
/// Header of `families.tsv`.
pub const FAMILIES_HEADER: &str = "source\tline\tfamily_key\tkk\tkk_status\tregion\tregion_status\taddress\thead_name\thead_name_std\tmembers\tlatitude\tlongitude\tdate\twarnings\tattrs";
/// Header of `lists.tsv`.
pub const LISTS_HEADER: &str =
    "source\tline\tlist_key\tnik\tnik_status\tname\tname_std\twarnings\tattrs";

/// Shared, read-only context.
pub struct Ctx<'a> {
    /// Official regions.
    pub regions: &'a RegionTable,
    /// Text → code.
    pub vocab: &'a Vocab,
    /// Name rules.
    pub names: &'a NameRules,
    /// The date the data is read against (future dates, ages, NIK centuries).
    pub as_of: Date,
}

/// Where a converted row goes.
pub enum Target {
    /// `persons.tsv`.
    Persons,
    /// `families.tsv`.
    Families,
    /// `lists.tsv`.
    Lists,
    /// `survey.tsv`.
    Survey,
}

/// Why a row is rejected (reason code, message).
pub type Reject = (&'static str, String);

/// A row with its header map.
pub struct Row<'a> {
    /// The fields.
    pub fields: &'a Fields,
    /// Column positions.
    pub map: &'a HeaderMap,
    /// Its spec.
    pub spec: &'static Spec,
}

impl Row<'_> {
    /// A spec column's value, trimmed; empty if the column is absent.
    pub fn get(&self, name: &str) -> &str {
        match self.map.index.get(col(self.spec, name)).copied().flatten() {
            Some(i) => self.fields.get(i),
            None => "",
        }
    }
}

/// Appends a TSV field: tabs and line breaks become spaces.
pub fn tsv(out: &mut Vec<u8>, s: &str) {
    if s.bytes().any(|c| c == b'\t' || c == b'\n' || c == b'\r') {
        for c in s.chars() {
            let c = if matches!(c, '\t' | '\n' | '\r') {
                ' '
            } else {
                c
            };
            let mut b = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
        }
    } else {
        out.extend_from_slice(s.as_bytes());
    }
}

/// Attributes as `key=value;key=value` (`;` and `=` inside values become spaces).
#[derive(Default)]
pub struct Attrs {
    buf: String,
}

impl Attrs {
    /// Adds one attribute if the value is not empty.
    pub fn add(&mut self, key: &str, value: &str) {
        let v = value.trim();
        if v.is_empty() {
            return;
        }
        if !self.buf.is_empty() {
            self.buf.push(';');
        }
        self.buf.push_str(key);
        self.buf.push('=');
        for c in v.chars() {
            self.buf
                .push(if matches!(c, ';' | '=' | '\t' | '\n' | '\r') {
                    ' '
                } else {
                    c
                });
        }
    }
    /// Adds a number.
    pub fn num(&mut self, key: &str, v: u32) {
        self.add(key, &v.to_string());
    }
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.buf
    }
}

/// Warnings of one record (static reason codes).
#[derive(Default)]
pub struct Warnings(pub Vec<&'static str>);

impl Warnings {
    fn push(&mut self, w: &'static str) {
        if !self.0.contains(&w) {
            self.0.push(w);
        }
    }
    fn write(&self, out: &mut Vec<u8>) {
        for (i, w) in self.0.iter().enumerate() {
            if i > 0 {
                out.push(b';');
            }
            out.extend_from_slice(w.as_bytes());
        }
    }
}

/// The canonical person record before it is written.
#[derive(Default)]
struct Person<'a> {
    source_id: &'a str,
    family_key: &'a str,
    nik_text: &'a str,
    nik: Option<NikStatus>,
    kk_text: &'a str,
    kk: Option<KkStatus>,
    name: &'a str,
    birth: Option<PartialDate>,
    sex: Option<Sex>,
    relationship: Option<u8>,
    marital: Option<u8>,
    region: Option<RegionStatus>,
    address: &'a str,
    rt: &'a str,
    rw: &'a str,
    alive: Option<bool>,
    death: Option<PartialDate>,
    attrs: Attrs,
}

impl Person<'_> {
    fn write(&self, ctx: &Ctx, source: &str, line: u64, w: &mut Warnings, out: &mut Vec<u8>) {
        let std = ctx.names.standardise(self.name);
        if std.had_title {
            w.push("name_title_removed");
        }
        // The NIK against the record: disagreement is a warning (brief §2.1).
        if let Some(NikStatus::Valid(n)) = self.nik {
            for warning in n.check_record(self.birth.and_then(|b| b.date()), self.sex, ctx.as_of) {
                w.push(match warning {
                    dtsen_core::NikWarning::BirthDate { .. } => "nik_birth_date_mismatch",
                    dtsen_core::NikWarning::Sex { .. } => "nik_sex_mismatch",
                });
            }
        }
        out.extend_from_slice(source.as_bytes());
        out.push(b'\t');
        dtsen_core::date::push_num(out, line, 1);
        for s in [self.source_id, self.family_key] {
            out.push(b'\t');
            tsv(out, s);
        }
        out.push(b'\t');
        match self.nik {
            Some(NikStatus::Valid(n)) => n.write(out),
            _ => tsv(out, self.nik_text),
        }
        out.push(b'\t');
        out.extend_from_slice(self.nik.map(|n| n.label()).unwrap_or("missing").as_bytes());
        out.push(b'\t');
        match self.kk {
            Some(KkStatus::Valid(k)) => k.write(out),
            _ => tsv(out, self.kk_text),
        }
        out.push(b'\t');
        out.extend_from_slice(self.kk.map(|k| k.label()).unwrap_or("missing").as_bytes());
        out.push(b'\t');
        tsv(out, self.name);
        out.push(b'\t');
        tsv(out, &std.name);
        out.push(b'\t');
        tsv(out, std.father.as_deref().unwrap_or(""));
        out.push(b'\t');
        if let Some(b) = self.birth {
            b.write(out);
        }
        out.push(b'\t');
        if let Some(s) = self.sex {
            out.push(b'0' + s.code());
        }
        out.push(b'\t');
        if let Some(r) = self.relationship {
            dtsen_core::date::push_num(out, r, 1);
        }
        out.push(b'\t');
        if let Some(m) = self.marital {
            dtsen_core::date::push_num(out, m, 1);
        }
        out.push(b'\t');
        if let Some(c) = self.region.and_then(|r| r.code()) {
            c.write_digits(out);
        }
        out.push(b'\t');
        out.extend_from_slice(
            self.region
                .map(|r| r.label())
                .unwrap_or("missing")
                .as_bytes(),
        );
        for s in [self.address, self.rt, self.rw] {
            out.push(b'\t');
            tsv(out, s);
        }
        out.push(b'\t');
        if let Some(a) = self.alive {
            out.push(if a { b'1' } else { b'0' });
        }
        out.push(b'\t');
        if let Some(d) = self.death {
            d.write(out);
        }
        out.push(b'\t');
        w.write(out);
        out.push(b'\t');
        tsv(out, self.attrs.as_str());
        out.push(b'\n');
    }
}

/// Converts one row. Returns where it went, or why it is rejected.
pub fn convert(
    kind: SourceKind,
    row: &Row,
    line: u64,
    ctx: &Ctx,
    w: &mut Warnings,
    out: &mut Vec<u8>,
) -> Result<Target, Reject> {
    for name in row.spec.must_have {
        if dtsen_core::is_missing_id(row.get(name))
            && !(*name == "pengeluaran_per_kapita" && row.get(name) == "0")
        {
            return Err((
                "missing_required",
                format!(
                    "{name} is empty; every {} record must have it",
                    row.spec.key
                ),
            ));
        }
    }
    match kind {
        SourceKind::Siak => siak(row, line, ctx, w, out),
        SourceKind::RegsosekAnggota => regsosek_member(row, line, ctx, w, out),
        SourceKind::RegsosekKeluarga => regsosek_family(row, line, ctx, w, out),
        SourceKind::Dtks => dtks(row, line, ctx, w, out),
        SourceKind::P3ke => p3ke(row, line, ctx, w, out),
        SourceKind::Asn | SourceKind::Pln | SourceKind::BpjsPbi => {
            list(kind, row, line, ctx, w, out)
        }
        SourceKind::Susenas => survey(row, line, ctx, w, out),
    }
}

fn read_nik(text: &str, ctx: &Ctx, w: &mut Warnings) -> NikStatus {
    let s = values::nik(text, ctx.regions, ctx.as_of);
    match s {
        NikStatus::Missing => w.push("nik_missing"),
        NikStatus::Invalid(_) => w.push("nik_invalid"),
        NikStatus::Valid(_) => {}
    }
    s
}

fn read_kk(text: &str, ctx: &Ctx, w: &mut Warnings) -> KkStatus {
    let s = values::kk(text, ctx.regions);
    match s {
        KkStatus::Missing => w.push("kk_missing"),
        KkStatus::Invalid(_) => w.push("kk_invalid"),
        KkStatus::Valid(_) => {}
    }
    s
}

fn check_region(r: RegionStatus, w: &mut Warnings) -> RegionStatus {
    match r {
        RegionStatus::Unknown(_) => w.push("region_unknown"),
        RegionStatus::Invalid => w.push("region_invalid"),
        RegionStatus::Missing => w.push("region_missing"),
        RegionStatus::Known(_) => {}
    }
    r
}

/// Reads a birth date and checks it: impossible, in the future, older than 120.
fn birth(text: &str, layout: DateLayout, ctx: &Ctx, w: &mut Warnings) -> Option<PartialDate> {
    match values::date(text, layout) {
        Ok(Some(d)) => {
            if d.month.is_none() || d.day.is_none() {
                w.push("birth_date_partial");
            }
            let approx = Date::new(d.year, d.month.unwrap_or(1), d.day.unwrap_or(1)).ok();
            if let Some(a) = approx {
                if a > ctx.as_of {
                    w.push("birth_date_future");
                } else if a.age_on(ctx.as_of) > 120 {
                    w.push("age_over_120");
                }
            }
            Some(d)
        }
        Ok(None) => {
            w.push("birth_date_missing");
            None
        }
        Err(values::DateIssue::Impossible) => {
            w.push("birth_date_impossible");
            None
        }
        Err(values::DateIssue::Layout) => {
            w.push("birth_date_unreadable");
            None
        }
    }
}

fn sex(text: &str, ctx: &Ctx, w: &mut Warnings) -> Option<Sex> {
    let s = ctx
        .vocab
        .code("jenis_kelamin", text)
        .and_then(|c| Sex::from_code(u32::from(c)));
    if s.is_none() {
        w.push("sex_unknown");
    }
    s
}

fn number(text: &str) -> Option<u32> {
    let t = text.trim();
    if t.is_empty() || t.len() > 9 || !t.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

/// A coded column: kept if it is in its code list, else warned about (and kept raw).
fn coded(
    attrs: &mut Attrs,
    key: &str,
    list: &'static str,
    text: &str,
    w: &mut Warnings,
) -> Option<u32> {
    if text.is_empty() {
        return None;
    }
    let code = number(text).filter(|c| {
        dtsen_core::CodeBook::official()
            .list(list)
            .is_none_or(|l| l.contains(*c as u16))
    });
    match code {
        Some(c) => {
            attrs.num(key, c);
            Some(c)
        }
        None => {
            w.push("code_unknown");
            attrs.add(&format!("{key}_raw"), text);
            None
        }
    }
}

/// A text label read into its code list.
fn labelled(
    attrs: &mut Attrs,
    key: &str,
    list: &'static str,
    text: &str,
    ctx: &Ctx,
    w: &mut Warnings,
) -> Option<u16> {
    if text.is_empty() {
        return None;
    }
    match ctx.vocab.code(list, text) {
        Some(c) => {
            attrs.num(key, u32::from(c));
            Some(c)
        }
        None => {
            w.push("label_unknown");
            attrs.add(&format!("{key}_raw"), text);
            None
        }
    }
}

fn siak(
    row: &Row,
    line: u64,
    ctx: &Ctx,
    w: &mut Warnings,
    out: &mut Vec<u8>,
) -> Result<Target, Reject> {
    let mut p = Person {
        nik_text: row.get("NIK"),
        kk_text: row.get("NO_KK"),
        name: row.get("NAMA_LGKP"),
        address: row.get("ALAMAT"),
        rt: row.get("NO_RT"),
        rw: row.get("NO_RW"),
        ..Person::default()
    };
    p.nik = Some(read_nik(p.nik_text, ctx, w));
    p.kk = Some(read_kk(p.kk_text, ctx, w));
    p.family_key = p.kk_text;
    p.birth = birth(row.get("TGL_LHR"), DateLayout::Iso, ctx, w);
    p.sex = sex(row.get("JENIS_KLMIN"), ctx, w);
    p.relationship = number(row.get("STAT_HBKEL"))
        .and_then(Relationship::from_shdk)
        .map(|r| r.shdk());
    if p.relationship.is_none() {
        w.push("relationship_unknown");
    }
    p.marital = number(row.get("STAT_KWN"))
        .filter(|m| (1..=4).contains(m))
        .map(|m| m as u8);
    p.region = Some(check_region(
        values::region_parts(
            row.get("NO_PROP"),
            row.get("NO_KAB"),
            row.get("NO_KEC"),
            row.get("NO_KEL"),
            ctx.regions,
        ),
        w,
    ));
    match ctx.vocab.code("status_hidup", row.get("STATUS_HIDUP")) {
        Some(1) => p.alive = Some(true),
        Some(_) => p.alive = Some(false),
        None if row.get("STATUS_HIDUP").is_empty() => {}
        None => w.push("life_status_unknown"),
    }
    if !row.get("TGL_MATI").is_empty() {
        match values::date(row.get("TGL_MATI"), DateLayout::Iso) {
            Ok(d) => p.death = d,
            Err(_) => w.push("death_date_unreadable"),
        }
        if p.alive == Some(true) {
            w.push("death_date_but_alive");
        }
    }
    let mut a = Attrs::default();
    a.add("tempat_lahir", row.get("TMPT_LHR"));
    coded(&mut a, "agama", "agama", row.get("AGAMA"), w);
    coded(
        &mut a,
        "pendidikan",
        "pendidikan_dukcapil",
        row.get("PDDK_AKH"),
        w,
    );
    coded(
        &mut a,
        "pekerjaan",
        "pekerjaan_dukcapil",
        row.get("JENIS_PKRJN"),
        w,
    );
    a.add("tgl_update", row.get("TGL_UPDATE"));
    extras(row, &mut a);
    p.attrs = a;
    p.write(ctx, "siak", line, w, out);
    Ok(Target::Persons)
}

/// The ten functional-difficulty domains in r428a–j order, by their DTSEN names.
const DIFFICULTY: [(&str, &str); 10] = [
    ("r428a", "penglihatan"),
    ("r428b", "pendengaran"),
    ("r428c", "berjalan_atau_naik_tangga"),
    ("r428d", "menggunakan_tangan_jari"),
    ("r428e", "belajar_kemampuan_intelektual"),
    ("r428f", "pengendalian_perilaku"),
    ("r428g", "berbicara_komunikasi"),
    ("r428h", "mengurus_diri"),
    ("r428i", "mengingat_berkonsentrasi"),
    ("r428j", "kesedihan_depresi"),
];

fn regsosek_member(
    row: &Row,
    line: u64,
    ctx: &Ctx,
    w: &mut Warnings,
    out: &mut Vec<u8>,
) -> Result<Target, Reject> {
    let mut p = Person {
        family_key: row.get("id_keluarga"),
        nik_text: row.get("r403"),
        name: row.get("r402"),
        ..Person::default()
    };
    p.source_id = row.get("r401");
    p.nik = Some(read_nik(p.nik_text, ctx, w));
    p.birth = birth(row.get("r406"), DateLayout::DmyDash, ctx, w);
    p.sex = sex(row.get("r405"), ctx, w);
    let female = p.sex == Some(Sex::Female);
    p.relationship = number(row.get("r409"))
        .and_then(|c| Relationship::from_regsosek(c, female))
        .map(|r| r.shdk());
    if p.relationship.is_none() {
        w.push("relationship_unknown");
    }
    p.marital = number(row.get("r408"))
        .filter(|m| (1..=4).contains(m))
        .map(|m| m as u8);
    let whereabouts = number(row.get("r404"));
    p.alive = match whereabouts {
        Some(2) => Some(false),
        Some(1 | 3 | 4 | 5) => Some(true),
        _ => None,
    };
    let mut a = Attrs::default();
    a.add("hubungan_regsosek", row.get("r409"));
    coded(&mut a, "status_keberadaan", "r404", row.get("r404"), w);
    let age = number(row.get("r407"));
    if let Some(age) = age {
        a.num("umur", age);
    }
    let pregnant = coded(&mut a, "status_hamil", "r410", row.get("r410"), w);
    coded(&mut a, "partisipasi_sekolah", "r412", row.get("r412"), w);
    coded(
        &mut a,
        "ijazah_tertinggi_yang_dimiliki",
        "r415",
        row.get("r415"),
        w,
    );
    coded(&mut a, "status_bekerja", "r416a", row.get("r416a"), w);
    coded(
        &mut a,
        "lapangan_usaha_dari_pekerjaan_utama",
        "r417",
        row.get("r417"),
        w,
    );
    coded(
        &mut a,
        "status_dalam_pekerjaan_utama",
        "r418",
        row.get("r418"),
        w,
    );
    coded(&mut a, "kepemilikan_usaha", "r420", row.get("r420"), w);
    let mut answered = [false; 10];
    for (k, (column, name)) in DIFFICULTY.iter().enumerate() {
        let list = if k == 9 { "r428j" } else { "r428" };
        answered[k] = coded(&mut a, name, list, row.get(column), w).is_some();
    }
    coded(&mut a, "penyakit_kronis", "r430", row.get("r430"), w);
    a.add("jaminan_kesehatan", row.get("r431a"));
    extras(row, &mut a);
    // Skip rules (brief §11.5).
    if let Some(age) = age {
        let ever_married = p.marital.is_some_and(|m| m != 1);
        if pregnant.is_some() && !(female && (10..=54).contains(&age) && ever_married) {
            w.push("skip_r410_not_applicable");
        }
        if age < 2 && answered[..6].iter().any(|x| *x) {
            w.push("skip_r428a_f_under_2");
        }
        if age < 5 && answered[6..].iter().any(|x| *x) {
            w.push("skip_r428g_j_under_5");
        }
    }
    p.attrs = a;
    p.write(ctx, "regsosek_anggota", line, w, out);
    Ok(Target::Persons)
}

/// Regsosek family variables and their DTSEN names.
const HOUSING: [(&str, &str, &str); 13] = [
    ("r301a", "status_kepemilikan_rumah", "r301a"),
    ("r301b", "bukti_kepemilikan_lahan", "r301b"),
    ("r302", "luas_lantai", ""),
    ("r303", "jenis_lantai_terluas", "r303"),
    ("r304", "jenis_dinding_terluas", "r304"),
    ("r305", "jenis_atap_terluas", "r305"),
    ("r306a", "sumber_air_minum_utama", "r306a"),
    ("r307a", "sumber_penerangan_utama", "r307a"),
    ("r307b", "daya_terpasang", "r307b"),
    ("r308", "bahan_bakar_utama_memasak", "r308"),
    ("r309a", "fasilitas_bab", "r309a"),
    ("r309b", "jenis_kloset", "r309b"),
    ("r310", "pembuangan_akhir_tinja", "r310"),
];

const ASSETS: [(&str, &str); 16] = [
    ("r502a", "aset_bergerak_tabung_gas"),
    ("r502b", "aset_bergerak_lemari_es"),
    ("r502c", "aset_bergerak_ac"),
    ("r502d", "aset_bergerak_pemanas_air"),
    ("r502e", "aset_bergerak_telepon_rumah"),
    ("r502f", "aset_bergerak_tv_datar"),
    ("r502g", "aset_bergerak_emas_perhiasan"),
    ("r502h", "aset_bergerak_komputer_laptop_tablet"),
    ("r502i", "aset_bergerak_sepeda_motor"),
    ("r502j", "aset_bergerak_sepeda"),
    ("r502k", "aset_bergerak_mobil"),
    ("r502l", "aset_bergerak_perahu"),
    ("r502m", "aset_bergerak_kapal_perahu_motor"),
    ("r502n", "aset_bergerak_smartphone"),
    ("r503a", "aset_tidak_bergerak_lahan_lainnya"),
    ("r503b", "aset_tidak_bergerak_rumah_lainnya"),
];

const LIVESTOCK: [(&str, &str); 5] = [
    ("r504a", "jumlah_ternak_sapi"),
    ("r504b", "jumlah_ternak_kerbau"),
    ("r504c", "jumlah_ternak_kuda"),
    ("r504d", "jumlah_ternak_babi"),
    ("r504e", "jumlah_ternak_kambing_domba"),
];

fn regsosek_family(
    row: &Row,
    line: u64,
    ctx: &Ctx,
    w: &mut Warnings,
    out: &mut Vec<u8>,
) -> Result<Target, Reject> {
    let region = check_region(
        values::region_parts(
            row.get("r101"),
            row.get("r102"),
            row.get("r103"),
            row.get("r104"),
            ctx.regions,
        ),
        w,
    );
    let kk_text = row.get("r114");
    let kk = read_kk(kk_text, ctx, w);
    let mut a = Attrs::default();
    let mut code = [None; 13];
    for (k, (column, name, list)) in HOUSING.iter().enumerate() {
        code[k] = if list.is_empty() {
            let v = number(row.get(column));
            if let Some(v) = v {
                a.num(name, v);
            } else if !row.get(column).is_empty() {
                w.push("number_unreadable");
            }
            v
        } else {
            coded(&mut a, name, list, row.get(column), w)
        };
    }
    let mut owns = [None; 16];
    for (k, (column, name)) in ASSETS.iter().enumerate() {
        owns[k] = match row.get(column) {
            "1" => Some(true),
            "2" => Some(false),
            "" => None,
            other => {
                w.push("code_unknown");
                a.add(&format!("{name}_raw"), other);
                None
            }
        };
        if let Some(v) = owns[k] {
            a.num(name, u32::from(v));
        }
    }
    for (column, name) in LIVESTOCK {
        if let Some(n) = number(row.get(column)) {
            a.num(name, n);
        }
    }
    coded(&mut a, "akses_internet", "r505", row.get("r505"), w);
    coded(&mut a, "rekening_bank", "r506", row.get("r506"), w);
    a.add("kode_sls", row.get("r105"));
    extras(row, &mut a);
    // Skip and consistency rules (brief §11.5).
    let [r301a, r301b, _, _, _, _, _, r307a, r307b, r308, r309a, r309b, _] = code;
    if r301b.is_some() && r301a != Some(1) {
        w.push("skip_r301b_not_owner");
    }
    if r307b.is_some() && r307a != Some(1) {
        w.push("skip_r307b_no_pln_meter");
    }
    if r309b.is_some() && !matches!(r309a, Some(1..=3)) {
        w.push("skip_r309b_no_toilet");
    }
    if matches!(r308, Some(2 | 3)) && owns[0] == Some(false) {
        w.push("lpg_fuel_without_cylinder");
    }
    if r307a == Some(4) && [1usize, 2, 3, 5, 7].iter().any(|&k| owns[k] == Some(true)) {
        w.push("appliance_without_electricity");
    }
    let head = row.get("r108");
    let head_std = ctx.names.standardise(head);
    out.extend_from_slice(b"regsosek_keluarga\t");
    dtsen_core::date::push_num(out, line, 1);
    out.push(b'\t');
    tsv(out, row.get("id_keluarga"));
    out.push(b'\t');
    match kk {
        KkStatus::Valid(k) => k.write(out),
        _ => tsv(out, kk_text),
    }
    out.push(b'\t');
    out.extend_from_slice(kk.label().as_bytes());
    out.push(b'\t');
    if let Some(c) = region.code() {
        c.write_digits(out);
    }
    out.push(b'\t');
    out.extend_from_slice(region.label().as_bytes());
    for s in [
        row.get("r107"),
        head,
        &head_std.name,
        row.get("r112"),
        row.get("latitude"),
        row.get("longitude"),
    ] {
        out.push(b'\t');
        tsv(out, s);
    }
    out.push(b'\t');
    match values::date(row.get("tanggal_pendataan"), DateLayout::Iso) {
        Ok(Some(d)) => d.write(out),
        Ok(None) => {}
        Err(_) => w.push("date_unreadable"),
    }
    out.push(b'\t');
    w.write(out);
    out.push(b'\t');
    tsv(out, a.as_str());
    out.push(b'\n');
    Ok(Target::Families)
}

fn dtks(
    row: &Row,
    line: u64,
    ctx: &Ctx,
    w: &mut Warnings,
    out: &mut Vec<u8>,
) -> Result<Target, Reject> {
    let mut p = Person {
        source_id: row.get("IDDTKS"),
        nik_text: row.get("NIK"),
        kk_text: row.get("NOKK"),
        name: row.get("NAMA"),
        address: row.get("ALAMAT"),
        rt: row.get("RT"),
        rw: row.get("RW"),
        ..Person::default()
    };
    p.family_key = p.kk_text;
    p.nik = Some(read_nik(p.nik_text, ctx, w));
    p.kk = Some(read_kk(p.kk_text, ctx, w));
    p.birth = birth(row.get("TGL_LAHIR"), DateLayout::DmyDash, ctx, w);
    p.sex = sex(row.get("JENIS_KELAMIN"), ctx, w);
    p.relationship = ctx
        .vocab
        .code("hub_kel_dtks", row.get("HUB_KEL"))
        .map(|c| c as u8);
    if p.relationship.is_none() {
        w.push("relationship_unknown");
    }
    p.region = Some(check_region(
        values::region(row.get("KODE_WILAYAH"), ctx.regions),
        w,
    ));
    let mut a = Attrs::default();
    a.add("tempat_lahir", row.get("TMP_LAHIR"));
    labelled(
        &mut a,
        "pekerjaan",
        "pekerjaan_dukcapil",
        row.get("PEKERJAAN"),
        ctx,
        w,
    );
    labelled(
        &mut a,
        "jenis_lantai_terluas",
        "r303",
        row.get("JENIS_LANTAI"),
        ctx,
        w,
    );
    labelled(
        &mut a,
        "jenis_dinding_terluas",
        "r304",
        row.get("JENIS_DINDING"),
        ctx,
        w,
    );
    labelled(
        &mut a,
        "sumber_air_minum_utama",
        "r306a",
        row.get("SUMBER_AIR"),
        ctx,
        w,
    );
    labelled(
        &mut a,
        "sumber_penerangan_utama",
        "r307a",
        row.get("PENERANGAN"),
        ctx,
        w,
    );
    for (column, key) in [
        ("STATUS_PKH", "status_pkh"),
        ("STATUS_BPNT", "status_bpnt"),
        ("STATUS_PBI", "status_pbi"),
    ] {
        match ctx.vocab.code("ya_tidak", row.get(column)) {
            Some(1) => a.num(key, 1),
            Some(_) => a.num(key, 0),
            None if row.get(column).is_empty() => {}
            None => w.push("flag_unknown"),
        }
    }
    match values::date(row.get("TGL_UPDATE"), DateLayout::DmyDash) {
        Ok(Some(d)) => {
            let mut b = Vec::with_capacity(10);
            d.write(&mut b);
            a.add("tgl_update", &String::from_utf8_lossy(&b));
        }
        Ok(None) => {}
        Err(_) => w.push("date_unreadable"),
    }
    extras(row, &mut a);
    p.attrs = a;
    p.write(ctx, "dtks", line, w, out);
    Ok(Target::Persons)
}

fn p3ke(
    row: &Row,
    line: u64,
    ctx: &Ctx,
    w: &mut Warnings,
    out: &mut Vec<u8>,
) -> Result<Target, Reject> {
    let mut p = Person {
        family_key: row.get("ID_KELUARGA_P3KE"),
        nik_text: row.get("NIK"),
        kk_text: row.get("NO_KK"),
        name: row.get("NAMA"),
        address: row.get("ALAMAT"),
        ..Person::default()
    };
    p.nik = Some(read_nik(p.nik_text, ctx, w));
    p.kk = Some(read_kk(p.kk_text, ctx, w));
    p.birth = birth(row.get("TANGGAL_LAHIR"), DateLayout::DmySlash, ctx, w);
    p.sex = sex(row.get("JENIS_KELAMIN"), ctx, w);
    p.relationship = ctx
        .vocab
        .code("hub_kel_dtks", row.get("HUBUNGAN"))
        .map(|c| c as u8);
    if p.relationship.is_none() {
        w.push("relationship_unknown");
    }
    p.region = Some(check_region(
        values::region(row.get("KODE_DESA"), ctx.regions),
        w,
    ));
    let mut a = Attrs::default();
    match number(row.get("DESIL_P3KE")) {
        Some(d) if (1..=10).contains(&d) => a.num("desil_p3ke", d),
        None if row.get("DESIL_P3KE").is_empty() => {}
        _ => w.push("decile_invalid"),
    }
    labelled(
        &mut a,
        "pendidikan",
        "pendidikan_dukcapil",
        row.get("PENDIDIKAN"),
        ctx,
        w,
    );
    labelled(
        &mut a,
        "pekerjaan",
        "pekerjaan_dukcapil",
        row.get("PEKERJAAN"),
        ctx,
        w,
    );
    match ctx.vocab.code("ya_tidak", row.get("PUNYA_RUMAH")) {
        Some(c) => a.num("punya_rumah", u32::from(c == 1)),
        None if row.get("PUNYA_RUMAH").is_empty() => {}
        None => w.push("flag_unknown"),
    }
    labelled(
        &mut a,
        "jenis_atap_terluas",
        "r305",
        row.get("JENIS_ATAP"),
        ctx,
        w,
    );
    labelled(
        &mut a,
        "jenis_lantai_terluas",
        "r303",
        row.get("JENIS_LANTAI"),
        ctx,
        w,
    );
    extras(row, &mut a);
    p.attrs = a;
    p.write(ctx, "p3ke", line, w, out);
    Ok(Target::Persons)
}

fn list(
    kind: SourceKind,
    row: &Row,
    line: u64,
    ctx: &Ctx,
    w: &mut Warnings,
    out: &mut Vec<u8>,
) -> Result<Target, Reject> {
    let nik_text = row.get("NIK");
    let nik = read_nik(nik_text, ctx, w);
    let mut a = Attrs::default();
    let (key, name) = match kind {
        SourceKind::Asn => {
            a.add("instansi", row.get("INSTANSI"));
            let jenis = row.get("JENIS").to_uppercase();
            if !matches!(jenis.as_str(), "ASN" | "TNI" | "POLRI" | "BUMN" | "BUMD") {
                w.push("label_unknown");
            }
            a.add("jenis", &jenis);
            ("", row.get("NAMA"))
        }
        SourceKind::Pln => {
            match number(row.get("DAYA_VA")) {
                Some(v) => a.num("daya_va", v),
                None if row.get("DAYA_VA").is_empty() => {}
                None => w.push("number_unreadable"),
            }
            match ctx.vocab.code("ya_tidak", row.get("SUBSIDI")) {
                Some(c) => a.num("subsidi", u32::from(c == 1)),
                None if row.get("SUBSIDI").is_empty() => {}
                None => w.push("flag_unknown"),
            }
            (row.get("ID_PELANGGAN"), "")
        }
        _ => {
            a.add("jenis_pbi", row.get("JENIS_PBI"));
            let status = row.get("STATUS").to_uppercase();
            if !status.is_empty() && status != "AKTIF" && status != "NONAKTIF" {
                w.push("label_unknown");
            }
            a.add("status", &status);
            (row.get("NO_KARTU"), "")
        }
    };
    extras(row, &mut a);
    let std = ctx.names.standardise(name);
    out.extend_from_slice(row.spec.key.as_bytes());
    out.push(b'\t');
    dtsen_core::date::push_num(out, line, 1);
    out.push(b'\t');
    tsv(out, key);
    out.push(b'\t');
    match nik {
        NikStatus::Valid(n) => n.write(out),
        _ => tsv(out, nik_text),
    }
    out.push(b'\t');
    out.extend_from_slice(nik.label().as_bytes());
    out.push(b'\t');
    tsv(out, name);
    out.push(b'\t');
    tsv(out, &std.name);
    out.push(b'\t');
    w.write(out);
    out.push(b'\t');
    tsv(out, a.as_str());
    out.push(b'\n');
    Ok(Target::Lists)
}

/// Susenas rows are written as they are (all columns, in header order) once their numbers
/// check out: consumption and weight positive, family size at least one.
fn survey(
    row: &Row,
    line: u64,
    ctx: &Ctx,
    w: &mut Warnings,
    out: &mut Vec<u8>,
) -> Result<Target, Reject> {
    let positive = |name: &str| {
        row.get(name)
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v > 0.0)
    };
    if positive("pengeluaran_per_kapita").is_none() {
        return Err((
            "value_invalid",
            format!(
                "pengeluaran_per_kapita '{}' is not a positive number",
                row.get("pengeluaran_per_kapita")
            ),
        ));
    }
    if positive("bobot").is_none() {
        return Err((
            "value_invalid",
            format!("bobot '{}' is not a positive number", row.get("bobot")),
        ));
    }
    if number(row.get("jumlah_anggota_keluarga")).is_none_or(|n| n == 0) {
        return Err((
            "value_invalid",
            format!(
                "jumlah_anggota_keluarga '{}' is not a count",
                row.get("jumlah_anggota_keluarga")
            ),
        ));
    }
    let region = row.get("kode_kelurahan_desa");
    if !region.is_empty() {
        check_region(values::region(region, ctx.regions), w);
    }
    out.extend_from_slice(b"susenas\t");
    dtsen_core::date::push_num(out, line, 1);
    for i in 0..row.fields.len() {
        out.push(b'\t');
        tsv(out, row.fields.get(i));
    }
    out.push(b'\t');
    w.write(out);
    out.push(b'\n');
    Ok(Target::Survey)
}

/// Unknown columns are kept as raw attributes.
fn extras(row: &Row, a: &mut Attrs) {
    for (i, name) in &row.map.extra {
        a.add(name, row.fields.get(*i));
    }
}
