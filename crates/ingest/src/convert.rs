//! One row of a source → one canonical record (TSV row) with its warnings, or a reject.
//!
//! The canonical files (see ARCHITECTURE.md, "ingest output"):
//! - `persons.tsv`: one row per person record of SIAK, Regsosek members, DTKS, P3KE;
//! - `families.tsv`: one row per Regsosek family;
//! - `lists.tsv`: one row per ASN, PLN or BPJS PBI record;
//! - `survey.tsv`: the Susenas sample, checked.

use crate::col;
use crate::reader::Fields;
use crate::schema::{self, HeaderMap, SourceKind, Spec};
use crate::values::{self, DateLayout, KkStatus, NikStatus, PartialDate, RegionStatus, Vocab};
use dtsen_core::{Date, NameRules, RegionTable, Relationship, Sex};

/// Header of `persons.tsv`.
pub const PERSONS_HEADER: &str = "source\tline\tsource_id\tfamily_key\tnik\tnik_status\tkk\tkk_status\tname\tname_std\tfather_std\tbirth_date\tsex\trelationship\tmarital\tregion\tregion_status\taddress\trt\trw\talive\tdeath_date\tbirth_place\treligion\teducation\toccupation\tr404\tr407\tr410\tr412\tr415\tr416a\tr417\tr418\tr420\tr428a\tr428b\tr428c\tr428d\tr428e\tr428f\tr428g\tr428h\tr428i\tr428j\tr430\tr431a\tr409\twarnings\tattrs";

/// Regsosek member items carried as typed columns of `persons.tsv` (codes as in Regsosek 2022).
pub const MEMBER_ITEMS: [&str; 22] = [
    "r404", "r407", "r410", "r412", "r415", "r416a", "r417", "r418", "r420", "r428a", "r428b",
    "r428c", "r428d", "r428e", "r428f", "r428g", "r428h", "r428i", "r428j", "r430", "r431a",
    "r409",
];
/// Header of `families.tsv`.
pub const FAMILIES_HEADER: &str = "source\tline\tfamily_key\tkk\tkk_status\tregion\tregion_status\taddress\thead_name\thead_name_std\tmembers\tlatitude\tlongitude\tdate\tr105\tr301a\tr301b\tr302\tr303\tr304\tr305\tr306a\tr307a\tr307b\tr308\tr309a\tr309b\tr310\tr502a\tr502b\tr502c\tr502d\tr502e\tr502f\tr502g\tr502h\tr502i\tr502j\tr502k\tr502l\tr502m\tr502n\tr503a\tr503b\tr504a\tr504b\tr504c\tr504d\tr504e\tr505\tr506\twarnings\tattrs";
/// Header of `lists.tsv`.
pub const LISTS_HEADER: &str =
    "source\tline\tlist_key\tnik\tnik_status\tname\tname_std\twarnings\tattrs";

/// Shared, read-only context.
pub struct Ctx<'a> {
    /// Official regions.
    pub regions: &'a RegionTable,
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
    /// The value of the spec column at position `i` (see [`crate::col!`]), trimmed; empty
    /// if the file lacks the column.
    #[inline(always)]
    pub fn at(&self, i: usize) -> &str {
        match self.map.index.get(i).copied().flatten() {
            Some(f) => self.fields.get(f),
            None => "",
        }
    }

    /// A spec column's value by name, trimmed; empty if the column is absent.
    pub fn get(&self, name: &str) -> &str {
        match self.map.by_name.get(name) {
            Some(&i) => self.fields.get(i),
            None => "",
        }
    }
}

/// Appends a TSV field: tabs and line breaks become spaces.
pub fn tsv(out: &mut Vec<u8>, s: &str) {
    if has_control(s.as_bytes()) {
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

/// Whether any byte is a control character (below 0x20): eight bytes at a time, since most
/// text has none and the fields are short.
fn has_control(b: &[u8]) -> bool {
    let mut words = b.chunks_exact(8);
    for w in words.by_ref() {
        let x = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
        if crate::reader::controls(x) != 0 {
            return true;
        }
    }
    words.remainder().iter().any(|&c| c < 0x20)
}

/// Writes a valid NIK or KK: its text when that is already the sixteen digits the number
/// writes (nearly always), else the number.
#[inline]
fn write_id(out: &mut Vec<u8>, text: &str, write: impl FnOnce(&mut Vec<u8>)) {
    let b = text.as_bytes();
    if b.len() == 16 && b.iter().all(u8::is_ascii_digit) {
        out.extend_from_slice(b);
    } else {
        write(out);
    }
}

/// Attributes as `key=value;key=value` (`;` and `=` inside values become spaces).
#[derive(Default)]
pub struct Attrs {
    buf: Vec<u8>,
}

impl Attrs {
    fn key(&mut self, key: &str) {
        if self.buf.is_empty() {
            // One allocation for the usual one or two attributes, not one per few bytes.
            self.buf.reserve(64);
        } else {
            self.buf.push(b';');
        }
        self.buf.extend_from_slice(key.as_bytes());
        self.buf.push(b'=');
    }
    /// Adds one attribute if the value is not empty.
    pub fn add(&mut self, key: &str, value: &str) {
        let v = value.trim();
        if v.is_empty() {
            return;
        }
        self.key(key);
        let start = self.buf.len();
        self.buf.extend_from_slice(v.as_bytes());
        for c in &mut self.buf[start..] {
            if matches!(*c, b';' | b'=' | b'\t' | b'\n' | b'\r') {
                *c = b' ';
            }
        }
    }
    /// Adds a number.
    pub fn num(&mut self, key: &str, v: u32) {
        self.key(key);
        dtsen_core::date::push_num(&mut self.buf, v, 1);
    }
    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
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
    birth_place: &'a str,
    religion: Option<u32>,
    education: Option<u32>,
    occupation: Option<u32>,
    member: [Option<u32>; MEMBER_ITEMS.len()],
    attrs: Attrs,
}

impl Person<'_> {
    /// Writes the record; `clean`: its row holds no control character, so its texts (and
    /// what standardising makes of them) go into the file as they are.
    fn write(
        &self,
        ctx: &Ctx,
        clean: bool,
        source: &str,
        line: u64,
        w: &mut Warnings,
        out: &mut Vec<u8>,
    ) {
        let tsv = |out: &mut Vec<u8>, s: &str| {
            if clean {
                out.extend_from_slice(s.as_bytes());
            } else {
                tsv(out, s);
            }
        };
        // Most names are already standard: then skip building a copy.
        let std = ctx.names.changed(self.name);
        let std_name = std.as_ref().map_or(self.name, |s| s.name.as_str());
        let father = std.as_ref().and_then(|s| s.father.as_deref()).unwrap_or("");
        let had_title = std.as_ref().is_some_and(|s| s.had_title);
        if had_title {
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
            Some(NikStatus::Valid(n)) => write_id(out, self.nik_text, |o| n.write(o)),
            _ => tsv(out, self.nik_text),
        }
        out.push(b'\t');
        out.extend_from_slice(self.nik.map(|n| n.label()).unwrap_or("missing").as_bytes());
        out.push(b'\t');
        match self.kk {
            Some(KkStatus::Valid(k)) => write_id(out, self.kk_text, |o| k.write(o)),
            _ => tsv(out, self.kk_text),
        }
        out.push(b'\t');
        out.extend_from_slice(self.kk.map(|k| k.label()).unwrap_or("missing").as_bytes());
        out.push(b'\t');
        tsv(out, self.name);
        out.push(b'\t');
        tsv(out, std_name);
        out.push(b'\t');
        tsv(out, father);
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
        tsv(out, self.birth_place);
        for v in [self.religion, self.education, self.occupation] {
            out.push(b'\t');
            if let Some(v) = v {
                dtsen_core::date::push_num(out, v, 1);
            }
        }
        // Only Regsosek members have the member items: the others' are written at once.
        if self.member.iter().all(Option::is_none) {
            out.extend_from_slice(&[b'\t'; MEMBER_ITEMS.len()]);
        } else {
            for v in &self.member {
                out.push(b'\t');
                if let Some(v) = v {
                    dtsen_core::date::push_num(out, *v, 1);
                }
            }
        }
        out.push(b'\t');
        w.write(out);
        out.push(b'\t');
        out.extend_from_slice(self.attrs.as_bytes());
        out.push(b'\n');
    }
}

/// Where the rows of a source go.
pub fn target(kind: SourceKind) -> Target {
    match kind {
        SourceKind::Siak | SourceKind::RegsosekAnggota | SourceKind::Dtks | SourceKind::P3ke => {
            Target::Persons
        }
        SourceKind::RegsosekKeluarga => Target::Families,
        SourceKind::Asn | SourceKind::Pln | SourceKind::BpjsPbi => Target::Lists,
        SourceKind::Susenas => Target::Survey,
    }
}

/// Converts one row, appending it to `out` (the file [`target`] names), or says why it is
/// rejected (then `out` may hold part of it: the caller truncates).
pub fn convert(
    kind: SourceKind,
    row: &Row,
    line: u64,
    ctx: &Ctx,
    w: &mut Warnings,
    out: &mut Vec<u8>,
) -> Result<(), Reject> {
    for (name, i) in &row.map.must {
        let v = i.map(|i| row.fields.get(i)).unwrap_or("");
        if dtsen_core::is_missing_id(v) && !(*name == "pengeluaran_per_kapita" && v == "0") {
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

fn sex(text: &str, w: &mut Warnings) -> Option<Sex> {
    let s = lists()
        .sex
        .and_then(|l| l.code(text))
        .and_then(|c| Sex::from_code(u32::from(c)));
    if s.is_none() {
        w.push("sex_unknown");
    }
    s
}

#[inline]
fn number(text: &str) -> Option<u32> {
    let t = text.trim_ascii().as_bytes();
    if t.is_empty() || t.len() > 9 {
        return None;
    }
    let mut v = 0u32;
    for &c in t {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

/// The code lists the converters use, looked up by name once per process.
struct Lists {
    agama: Option<&'static values::List>,
    pendidikan: Option<&'static values::List>,
    pekerjaan: Option<&'static values::List>,
    /// Per member item, in the order of the converter's item table.
    member: [Option<&'static values::List>; 21],
    /// Per family item, in FAMILY_ITEMS order.
    family: [Option<&'static values::List>; 36],
    r303: Option<&'static values::List>,
    r304: Option<&'static values::List>,
    r305: Option<&'static values::List>,
    r306a: Option<&'static values::List>,
    r307a: Option<&'static values::List>,
    sex: Option<&'static values::List>,
    life: Option<&'static values::List>,
    hub: Option<&'static values::List>,
    yes_no: Option<&'static values::List>,
}

/// Code lists of the Regsosek member items, in the converter's item order ("" = a number).
const MEMBER_LISTS: [&str; 21] = [
    "r404", "", "r410", "r412", "r415", "r416a", "r417", "r418", "r420", "r428", "r428", "r428",
    "r428", "r428", "r428", "r428", "r428", "r428", "r428j", "r430", "",
];

fn lists() -> &'static Lists {
    static L: std::sync::OnceLock<Lists> = std::sync::OnceLock::new();
    L.get_or_init(|| {
        let v = Vocab::official();
        let get = |n: &str| if n.is_empty() { None } else { v.list(n) };
        Lists {
            agama: get("agama"),
            pendidikan: get("pendidikan_dukcapil"),
            pekerjaan: get("pekerjaan_dukcapil"),
            member: MEMBER_LISTS.map(get),
            family: FAMILY_ITEMS.map(|(_, l)| get(l)),
            r303: get("r303"),
            r304: get("r304"),
            r305: get("r305"),
            r306a: get("r306a"),
            r307a: get("r307a"),
            sex: get("jenis_kelamin"),
            life: get("status_hidup"),
            hub: get("hub_kel_dtks"),
            yes_no: get("ya_tidak"),
        }
    })
}

/// A coded column: kept if it is in its code list, else warned about (and kept raw).
#[inline]
fn coded(
    attrs: &mut Attrs,
    key: &str,
    list: Option<&values::List>,
    text: &str,
    w: &mut Warnings,
) -> Option<u32> {
    if text.is_empty() {
        return None;
    }
    let code = number(text).filter(|c| list.is_none_or(|l| l.contains(*c)));
    if code.is_none() {
        unknown(attrs, key, text, w, "code_unknown");
    }
    code
}

/// A value not in its list: warned about and kept raw (the rare case, out of line).
#[cold]
#[inline(never)]
fn unknown(attrs: &mut Attrs, key: &str, text: &str, w: &mut Warnings, warning: &'static str) {
    w.push(warning);
    attrs.add(&format!("{key}_raw"), text);
}

/// A text label read into its code list.
fn labelled(
    attrs: &mut Attrs,
    key: &str,
    list: Option<&values::List>,
    text: &str,
    w: &mut Warnings,
) -> Option<u16> {
    if text.is_empty() {
        return None;
    }
    let code = list.and_then(|l| l.code(text));
    if code.is_none() {
        unknown(attrs, key, text, w, "label_unknown");
    }
    code
}

fn siak(
    row: &Row,
    line: u64,
    ctx: &Ctx,
    w: &mut Warnings,
    out: &mut Vec<u8>,
) -> Result<(), Reject> {
    use schema::SIAK_COLS as S;
    let mut p = Person {
        nik_text: row.at(col!(S, "NIK")),
        kk_text: row.at(col!(S, "NO_KK")),
        name: row.at(col!(S, "NAMA_LGKP")),
        address: row.at(col!(S, "ALAMAT")),
        rt: row.at(col!(S, "NO_RT")),
        rw: row.at(col!(S, "NO_RW")),
        birth_place: row.at(col!(S, "TMPT_LHR")),
        ..Person::default()
    };
    p.nik = Some(read_nik(p.nik_text, ctx, w));
    p.kk = Some(read_kk(p.kk_text, ctx, w));
    p.family_key = p.kk_text;
    p.birth = birth(row.at(col!(S, "TGL_LHR")), DateLayout::Iso, ctx, w);
    p.sex = sex(row.at(col!(S, "JENIS_KLMIN")), w);
    p.relationship = number(row.at(col!(S, "STAT_HBKEL")))
        .and_then(Relationship::from_shdk)
        .map(|r| r.shdk());
    if p.relationship.is_none() {
        w.push("relationship_unknown");
    }
    p.marital = number(row.at(col!(S, "STAT_KWN")))
        .filter(|m| (1..=4).contains(m))
        .map(|m| m as u8);
    let region = values::region_parts(
        row.at(col!(S, "NO_PROP")),
        row.at(col!(S, "NO_KAB")),
        row.at(col!(S, "NO_KEC")),
        row.at(col!(S, "NO_KEL")),
        ctx.regions,
    );
    p.region = Some(check_region(region, w));
    let life = row.at(col!(S, "STATUS_HIDUP"));
    match lists().life.and_then(|l| l.code(life)) {
        Some(1) => p.alive = Some(true),
        Some(_) => p.alive = Some(false),
        None if life.is_empty() => {}
        None => w.push("life_status_unknown"),
    }
    let died = row.at(col!(S, "TGL_MATI"));
    if !died.is_empty() {
        match values::date(died, DateLayout::Iso) {
            Ok(d) => p.death = d,
            Err(_) => w.push("death_date_unreadable"),
        }
        if p.alive == Some(true) {
            w.push("death_date_but_alive");
        }
    }
    let mut a = Attrs::default();
    p.religion = coded(&mut a, "agama", lists().agama, row.at(col!(S, "AGAMA")), w);
    p.education = coded(
        &mut a,
        "pendidikan",
        lists().pendidikan,
        row.at(col!(S, "PDDK_AKH")),
        w,
    );
    p.occupation = coded(
        &mut a,
        "pekerjaan",
        lists().pekerjaan,
        row.at(col!(S, "JENIS_PKRJN")),
        w,
    );
    a.add("tgl_update", row.at(col!(S, "TGL_UPDATE")));
    extras(row, &mut a);
    p.attrs = a;
    p.write(ctx, row.fields.clean(), "siak", line, w, out);
    Ok(())
}

fn regsosek_member(
    row: &Row,
    line: u64,
    ctx: &Ctx,
    w: &mut Warnings,
    out: &mut Vec<u8>,
) -> Result<(), Reject> {
    use schema::REGSOSEK_ANGGOTA_COLS as S;
    let mut p = Person {
        family_key: row.at(col!(S, "id_keluarga")),
        source_id: row.at(col!(S, "r401")),
        nik_text: row.at(col!(S, "r403")),
        name: row.at(col!(S, "r402")),
        ..Person::default()
    };
    p.nik = Some(read_nik(p.nik_text, ctx, w));
    p.birth = birth(row.at(col!(S, "r406")), DateLayout::DmyDash, ctx, w);
    p.sex = sex(row.at(col!(S, "r405")), w);
    let female = p.sex == Some(Sex::Female);
    let r409 = number(row.at(col!(S, "r409")));
    p.relationship = r409
        .and_then(|c| Relationship::from_regsosek(c, female))
        .map(|r| r.shdk());
    if p.relationship.is_none() {
        w.push("relationship_unknown");
    }
    p.marital = number(row.at(col!(S, "r408")))
        .filter(|m| (1..=4).contains(m))
        .map(|m| m as u8);
    let mut a = Attrs::default();
    // Typed member items, in MEMBER_ITEMS order; MEMBER_LISTS has no list for r407 (age) and
    // r431a (a sum of codes), which are plain numbers.
    let columns: [usize; 21] = [
        col!(S, "r404"),
        col!(S, "r407"),
        col!(S, "r410"),
        col!(S, "r412"),
        col!(S, "r415"),
        col!(S, "r416a"),
        col!(S, "r417"),
        col!(S, "r418"),
        col!(S, "r420"),
        col!(S, "r428a"),
        col!(S, "r428b"),
        col!(S, "r428c"),
        col!(S, "r428d"),
        col!(S, "r428e"),
        col!(S, "r428f"),
        col!(S, "r428g"),
        col!(S, "r428h"),
        col!(S, "r428i"),
        col!(S, "r428j"),
        col!(S, "r430"),
        col!(S, "r431a"),
    ];
    let member_lists = &lists().member;
    for (k, column) in columns.iter().enumerate() {
        let text = row.at(*column);
        p.member[k] = if MEMBER_LISTS[k].is_empty() {
            let v = number(text);
            if v.is_none() && !text.is_empty() {
                w.push("number_unreadable");
            }
            v
        } else {
            coded(&mut a, MEMBER_ITEMS[k], member_lists[k], text, w)
        };
    }
    p.member[21] = r409;
    p.alive = match p.member[0] {
        Some(2) => Some(false),
        Some(1 | 3 | 4 | 5) => Some(true),
        _ => None,
    };
    extras(row, &mut a);
    // Skip rules (brief §11.5).
    if let Some(age) = p.member[1] {
        let ever_married = p.marital.is_some_and(|m| m != 1);
        if p.member[2].is_some() && !(female && (10..=54).contains(&age) && ever_married) {
            w.push("skip_r410_not_applicable");
        }
        if age < 2 && p.member[9..15].iter().any(Option::is_some) {
            w.push("skip_r428a_f_under_2");
        }
        if age < 5 && p.member[15..19].iter().any(Option::is_some) {
            w.push("skip_r428g_j_under_5");
        }
    }
    p.attrs = a;
    p.write(ctx, row.fields.clean(), "regsosek_anggota", line, w, out);
    Ok(())
}

/// Regsosek family items carried as typed columns of `families.tsv`, with their code lists
/// (empty: a count or an area). Assets r502–r503 keep Regsosek's 1 yes / 2 no.
const FAMILY_ITEMS: [(&str, &str); 36] = [
    ("r301a", "r301a"),
    ("r301b", "r301b"),
    ("r302", ""),
    ("r303", "r303"),
    ("r304", "r304"),
    ("r305", "r305"),
    ("r306a", "r306a"),
    ("r307a", "r307a"),
    ("r307b", "r307b"),
    ("r308", "r308"),
    ("r309a", "r309a"),
    ("r309b", "r309b"),
    ("r310", "r310"),
    ("r502a", "ya_tidak"),
    ("r502b", "ya_tidak"),
    ("r502c", "ya_tidak"),
    ("r502d", "ya_tidak"),
    ("r502e", "ya_tidak"),
    ("r502f", "ya_tidak"),
    ("r502g", "ya_tidak"),
    ("r502h", "ya_tidak"),
    ("r502i", "ya_tidak"),
    ("r502j", "ya_tidak"),
    ("r502k", "ya_tidak"),
    ("r502l", "ya_tidak"),
    ("r502m", "ya_tidak"),
    ("r502n", "ya_tidak"),
    ("r503a", "ya_tidak"),
    ("r503b", "ya_tidak"),
    ("r504a", ""),
    ("r504b", ""),
    ("r504c", ""),
    ("r504d", ""),
    ("r504e", ""),
    ("r505", "r505"),
    ("r506", "r506"),
];

// The items must sit in the layout in this order (checked when building).
const _: () = assert!(
    schema::pos(schema::REGSOSEK_KELUARGA_COLS, "r506")
        == schema::pos(schema::REGSOSEK_KELUARGA_COLS, "r301a") + 35
);

fn regsosek_family(
    row: &Row,
    line: u64,
    ctx: &Ctx,
    w: &mut Warnings,
    out: &mut Vec<u8>,
) -> Result<(), Reject> {
    use schema::REGSOSEK_KELUARGA_COLS as S;
    let region = values::region_parts(
        row.at(col!(S, "r101")),
        row.at(col!(S, "r102")),
        row.at(col!(S, "r103")),
        row.at(col!(S, "r104")),
        ctx.regions,
    );
    let region = check_region(region, w);
    let kk_text = row.at(col!(S, "r114"));
    let kk = read_kk(kk_text, ctx, w);
    let mut a = Attrs::default();
    // The items sit in the layout in FAMILY_ITEMS order, from r301a on.
    let first = col!(S, "r301a");
    let mut v = [None; FAMILY_ITEMS.len()];
    for (k, (item, list)) in FAMILY_ITEMS.iter().enumerate() {
        let text = row.at(first + k);
        v[k] = if list.is_empty() {
            let n = number(text);
            if n.is_none() && !text.is_empty() {
                w.push("number_unreadable");
            }
            n
        } else {
            coded(&mut a, item, lists().family[k], text, w)
        };
    }
    extras(row, &mut a);
    // Skip and consistency rules (brief §11.5).
    let (r301a, r301b, r307a, r307b, r308, r309a, r309b) =
        (v[0], v[1], v[7], v[8], v[9], v[10], v[11]);
    if r301b.is_some() && r301a != Some(1) {
        w.push("skip_r301b_not_owner");
    }
    if r307b.is_some() && r307a != Some(1) {
        w.push("skip_r307b_no_pln_meter");
    }
    if r309b.is_some() && !matches!(r309a, Some(1..=3)) {
        w.push("skip_r309b_no_toilet");
    }
    if matches!(r308, Some(2 | 3)) && v[13] == Some(2) {
        w.push("lpg_fuel_without_cylinder");
    }
    // Refrigerator, AC, water heater, flat TV, computer need electricity.
    if r307a == Some(4) && [14usize, 15, 16, 18, 20].iter().any(|&k| v[k] == Some(1)) {
        w.push("appliance_without_electricity");
    }
    let head = row.at(col!(S, "r108"));
    let head_std = ctx.names.changed(head);
    let head_std = head_std.as_ref().map_or(head, |s| s.name.as_str());
    out.extend_from_slice(b"regsosek_keluarga\t");
    dtsen_core::date::push_num(out, line, 1);
    out.push(b'\t');
    tsv(out, row.at(col!(S, "id_keluarga")));
    out.push(b'\t');
    match kk {
        KkStatus::Valid(k) => write_id(out, kk_text, |o| k.write(o)),
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
    for text in [
        row.at(col!(S, "r107")),
        head,
        head_std,
        row.at(col!(S, "r112")),
        row.at(col!(S, "latitude")),
        row.at(col!(S, "longitude")),
    ] {
        out.push(b'\t');
        tsv(out, text);
    }
    out.push(b'\t');
    match values::date(row.at(col!(S, "tanggal_pendataan")), DateLayout::Iso) {
        Ok(Some(d)) => d.write(out),
        Ok(None) => {}
        Err(_) => w.push("date_unreadable"),
    }
    out.push(b'\t');
    tsv(out, row.at(col!(S, "r105")));
    for x in &v {
        out.push(b'\t');
        if let Some(x) = x {
            dtsen_core::date::push_num(out, *x, 1);
        }
    }
    out.push(b'\t');
    w.write(out);
    out.push(b'\t');
    out.extend_from_slice(a.as_bytes());
    out.push(b'\n');
    Ok(())
}

fn dtks(
    row: &Row,
    line: u64,
    ctx: &Ctx,
    w: &mut Warnings,
    out: &mut Vec<u8>,
) -> Result<(), Reject> {
    use schema::DTKS_COLS as S;
    let mut p = Person {
        source_id: row.at(col!(S, "IDDTKS")),
        nik_text: row.at(col!(S, "NIK")),
        kk_text: row.at(col!(S, "NOKK")),
        name: row.at(col!(S, "NAMA")),
        address: row.at(col!(S, "ALAMAT")),
        rt: row.at(col!(S, "RT")),
        rw: row.at(col!(S, "RW")),
        birth_place: row.at(col!(S, "TMP_LAHIR")),
        ..Person::default()
    };
    p.family_key = p.kk_text;
    p.nik = Some(read_nik(p.nik_text, ctx, w));
    p.kk = Some(read_kk(p.kk_text, ctx, w));
    p.birth = birth(row.at(col!(S, "TGL_LAHIR")), DateLayout::DmyDash, ctx, w);
    p.sex = sex(row.at(col!(S, "JENIS_KELAMIN")), w);
    p.relationship = lists()
        .hub
        .and_then(|l| l.code(row.at(col!(S, "HUB_KEL"))))
        .map(|c| c as u8);
    if p.relationship.is_none() {
        w.push("relationship_unknown");
    }
    p.region = Some(check_region(
        values::region(row.at(col!(S, "KODE_WILAYAH")), ctx.regions),
        w,
    ));
    let mut a = Attrs::default();
    p.occupation = labelled(
        &mut a,
        "pekerjaan",
        lists().pekerjaan,
        row.at(col!(S, "PEKERJAAN")),
        w,
    )
    .map(u32::from);
    // Family variables repeated on every member row, as Regsosek item codes.
    let l = lists();
    for (column, item, list) in [
        (col!(S, "JENIS_LANTAI"), "r303", l.r303),
        (col!(S, "JENIS_DINDING"), "r304", l.r304),
        (col!(S, "SUMBER_AIR"), "r306a", l.r306a),
        (col!(S, "PENERANGAN"), "r307a", l.r307a),
    ] {
        if let Some(c) = labelled(&mut a, item, list, row.at(column), w) {
            a.num(item, u32::from(c));
        }
    }
    for (column, key) in [
        (col!(S, "STATUS_PKH"), "pkh"),
        (col!(S, "STATUS_BPNT"), "bpnt"),
        (col!(S, "STATUS_PBI"), "pbi"),
    ] {
        let text = row.at(column);
        match lists().yes_no.and_then(|l| l.code(text)) {
            Some(1) => a.num(key, 1),
            Some(_) => a.num(key, 0),
            None if text.is_empty() => {}
            None => w.push("flag_unknown"),
        }
    }
    match values::date(row.at(col!(S, "TGL_UPDATE")), DateLayout::DmyDash) {
        Ok(Some(d)) => {
            let mut b = Vec::with_capacity(10);
            d.write(&mut b);
            a.add("tgl_update", std::str::from_utf8(&b).unwrap_or_default());
        }
        Ok(None) => {}
        Err(_) => w.push("date_unreadable"),
    }
    extras(row, &mut a);
    p.attrs = a;
    p.write(ctx, row.fields.clean(), "dtks", line, w, out);
    Ok(())
}

fn p3ke(
    row: &Row,
    line: u64,
    ctx: &Ctx,
    w: &mut Warnings,
    out: &mut Vec<u8>,
) -> Result<(), Reject> {
    use schema::P3KE_COLS as S;
    let mut p = Person {
        family_key: row.at(col!(S, "ID_KELUARGA_P3KE")),
        nik_text: row.at(col!(S, "NIK")),
        kk_text: row.at(col!(S, "NO_KK")),
        name: row.at(col!(S, "NAMA")),
        address: row.at(col!(S, "ALAMAT")),
        ..Person::default()
    };
    p.nik = Some(read_nik(p.nik_text, ctx, w));
    p.kk = Some(read_kk(p.kk_text, ctx, w));
    p.birth = birth(
        row.at(col!(S, "TANGGAL_LAHIR")),
        DateLayout::DmySlash,
        ctx,
        w,
    );
    p.sex = sex(row.at(col!(S, "JENIS_KELAMIN")), w);
    p.relationship = lists()
        .hub
        .and_then(|l| l.code(row.at(col!(S, "HUBUNGAN"))))
        .map(|c| c as u8);
    if p.relationship.is_none() {
        w.push("relationship_unknown");
    }
    p.region = Some(check_region(
        values::region(row.at(col!(S, "KODE_DESA")), ctx.regions),
        w,
    ));
    let mut a = Attrs::default();
    let decile = row.at(col!(S, "DESIL_P3KE"));
    match number(decile) {
        Some(d) if (1..=10).contains(&d) => a.num("desil", d),
        None if decile.is_empty() => {}
        _ => w.push("decile_invalid"),
    }
    p.education = labelled(
        &mut a,
        "pendidikan",
        lists().pendidikan,
        row.at(col!(S, "PENDIDIKAN")),
        w,
    )
    .map(u32::from);
    p.occupation = labelled(
        &mut a,
        "pekerjaan",
        lists().pekerjaan,
        row.at(col!(S, "PEKERJAAN")),
        w,
    )
    .map(u32::from);
    let own = row.at(col!(S, "PUNYA_RUMAH"));
    match lists().yes_no.and_then(|l| l.code(own)) {
        Some(c) => a.num("punya_rumah", u32::from(c == 1)),
        None if own.is_empty() => {}
        None => w.push("flag_unknown"),
    }
    for (column, item, list) in [
        (col!(S, "JENIS_ATAP"), "r305", lists().r305),
        (col!(S, "JENIS_LANTAI"), "r303", lists().r303),
    ] {
        if let Some(c) = labelled(&mut a, item, list, row.at(column), w) {
            a.num(item, u32::from(c));
        }
    }
    extras(row, &mut a);
    p.attrs = a;
    p.write(ctx, row.fields.clean(), "p3ke", line, w, out);
    Ok(())
}

fn list(
    kind: SourceKind,
    row: &Row,
    line: u64,
    ctx: &Ctx,
    w: &mut Warnings,
    out: &mut Vec<u8>,
) -> Result<(), Reject> {
    use schema::{ASN_COLS as A, BPJS_COLS as B, PLN_COLS as L};
    let nik_text = row.at(match kind {
        SourceKind::Asn => col!(A, "NIK"),
        SourceKind::Pln => col!(L, "NIK"),
        _ => col!(B, "NIK"),
    });
    let nik = read_nik(nik_text, ctx, w);
    let mut a = Attrs::default();
    let (key, name) = match kind {
        SourceKind::Asn => {
            a.add("instansi", row.at(col!(A, "INSTANSI")));
            let jenis = upper(row.at(col!(A, "JENIS")));
            if !matches!(&*jenis, "ASN" | "TNI" | "POLRI" | "BUMN" | "BUMD") {
                w.push("label_unknown");
            }
            a.add("jenis", &jenis);
            ("", row.at(col!(A, "NAMA")))
        }
        SourceKind::Pln => {
            let daya = row.at(col!(L, "DAYA_VA"));
            match number(daya) {
                Some(v) => a.num("daya_va", v),
                None if daya.is_empty() => {}
                None => w.push("number_unreadable"),
            }
            let subsidi = row.at(col!(L, "SUBSIDI"));
            match lists().yes_no.and_then(|l| l.code(subsidi)) {
                Some(c) => a.num("subsidi", u32::from(c == 1)),
                None if subsidi.is_empty() => {}
                None => w.push("flag_unknown"),
            }
            (row.at(col!(L, "ID_PELANGGAN")), "")
        }
        _ => {
            a.add("jenis_pbi", row.at(col!(B, "JENIS_PBI")));
            let status = upper(row.at(col!(B, "STATUS")));
            if !status.is_empty() && status != "AKTIF" && status != "NONAKTIF" {
                w.push("label_unknown");
            }
            a.add("status", &status);
            (row.at(col!(B, "NO_KARTU")), "")
        }
    };
    extras(row, &mut a);
    let std = ctx.names.changed(name);
    out.extend_from_slice(row.spec.key.as_bytes());
    out.push(b'\t');
    dtsen_core::date::push_num(out, line, 1);
    out.push(b'\t');
    tsv(out, key);
    out.push(b'\t');
    match nik {
        NikStatus::Valid(n) => write_id(out, nik_text, |o| n.write(o)),
        _ => tsv(out, nik_text),
    }
    out.push(b'\t');
    out.extend_from_slice(nik.label().as_bytes());
    out.push(b'\t');
    tsv(out, name);
    out.push(b'\t');
    tsv(out, std.as_ref().map_or(name, |s| s.name.as_str()));
    out.push(b'\t');
    w.write(out);
    out.push(b'\t');
    out.extend_from_slice(a.as_bytes());
    out.push(b'\n');
    Ok(())
}

/// Susenas rows are written as they are (all columns, in header order) once their numbers
/// check out: consumption and weight positive, family size at least one.
fn survey(
    row: &Row,
    line: u64,
    ctx: &Ctx,
    w: &mut Warnings,
    out: &mut Vec<u8>,
) -> Result<(), Reject> {
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
    Ok(())
}

/// Unknown columns are kept as raw attributes.
/// `text` in upper case, borrowed when it already is (nearly always).
fn upper(text: &str) -> std::borrow::Cow<'_, str> {
    if text
        .bytes()
        .all(|c| c.is_ascii() && !c.is_ascii_lowercase())
    {
        std::borrow::Cow::Borrowed(text)
    } else {
        std::borrow::Cow::Owned(text.to_uppercase())
    }
}

fn extras(row: &Row, a: &mut Attrs) {
    for (i, name) in &row.map.extra {
        a.add(name, row.fields.get(*i));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_keep_their_order_and_lose_their_separators() {
        let mut a = Attrs::default();
        assert_eq!(a.as_bytes(), b"");
        a.add("empty", "  ");
        a.num("n", 0);
        a.add("k", " a;b=c\td ");
        assert_eq!(a.as_bytes(), b"n=0;k=a b c d");
        // Many: everything kept, in order, separators replaced.
        let mut want = String::from("n=0;k=a b c d");
        for i in 0..20u32 {
            a.add("key", &format!("v{i};x"));
            a.num("num", 4_294_967_295 - i);
            want.push_str(&format!(";key=v{i} x;num={}", 4_294_967_295 - i));
        }
        assert_eq!(String::from_utf8_lossy(a.as_bytes()), want);
    }
}
