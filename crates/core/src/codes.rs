//! Code lists as data (`data/codes/codes.csv`), with Indonesian and English labels.
//!
//! Each list is named after the questionnaire item or source column it codes (`r303` floor
//! material, `shdk` relationship on the family card, `pendidikan_dukcapil`, ...). Labels,
//! sources and uncertainty notes live in the data file, so a confirmed BPS code list replaces
//! a row, not code.

use std::collections::HashMap;
use std::sync::OnceLock;

/// UI language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lang {
    /// Bahasa Indonesia (the default).
    Id,
    /// English.
    En,
}

/// One coded value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeEntry {
    /// The numeric code as the source writes it.
    pub code: u16,
    /// Indonesian label.
    pub label_id: String,
    /// English label.
    pub label_en: String,
    /// Where the list comes from, with ⚠ where it is uncertain.
    pub source: String,
}

/// A named list of codes.
#[derive(Clone, Debug, Default)]
pub struct CodeList {
    entries: Vec<CodeEntry>,
    by_label: HashMap<String, u16>,
}

impl CodeList {
    /// All entries in code order.
    pub fn entries(&self) -> &[CodeEntry] {
        &self.entries
    }
    /// The entry for a code.
    pub fn get(&self, code: u16) -> Option<&CodeEntry> {
        self.entries.iter().find(|e| e.code == code)
    }
    /// Whether the code is in the list.
    pub fn contains(&self, code: u16) -> bool {
        self.get(code).is_some()
    }
    /// The label of a code in a language.
    pub fn label(&self, code: u16, lang: Lang) -> Option<&str> {
        self.get(code).map(|e| match lang {
            Lang::Id => e.label_id.as_str(),
            Lang::En => e.label_en.as_str(),
        })
    }
    /// The code whose Indonesian or English label matches `text` (case, spaces and
    /// punctuation ignored). This is how the text-labelled sources (DTKS, P3KE) are read.
    pub fn code_for_label(&self, text: &str) -> Option<u16> {
        self.by_label.get(&label_key(text)).copied()
    }
}

/// Upper case, letters and digits only: `Semen/bata merah` → `SEMENBATAMERAH`.
pub fn label_key(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect()
}

/// All code lists, by name.
pub struct CodeBook {
    lists: HashMap<String, CodeList>,
}

const CODES_CSV: &str = include_str!("../../../data/codes/codes.csv");

impl CodeBook {
    /// The embedded code book, parsed once per process.
    pub fn official() -> &'static CodeBook {
        static BOOK: OnceLock<CodeBook> = OnceLock::new();
        BOOK.get_or_init(|| {
            CodeBook::from_csv(CODES_CSV).expect("the embedded code book is well-formed (tested)")
        })
    }

    /// Parses `list,code,label_id,label_en,source`.
    pub fn from_csv(text: &str) -> Result<CodeBook, String> {
        let mut lists: HashMap<String, CodeList> = HashMap::new();
        let mut rdr = csv::Reader::from_reader(text.as_bytes());
        for (i, rec) in rdr.records().enumerate() {
            let line = i + 2;
            let rec = rec.map_err(|e| format!("codes.csv line {line}: {e}"))?;
            let field = |k: usize| rec.get(k).unwrap_or_default().trim().to_owned();
            let code: u16 = field(1).parse().map_err(|_| {
                format!("codes.csv line {line}: code '{}' is not a number", field(1))
            })?;
            let list = lists.entry(field(0)).or_default();
            if list.contains(code) {
                return Err(format!(
                    "codes.csv line {line}: code {code} repeated in {}",
                    field(0)
                ));
            }
            let entry = CodeEntry {
                code,
                label_id: field(2),
                label_en: field(3),
                source: field(4),
            };
            list.by_label
                .entry(label_key(&entry.label_id))
                .or_insert(code);
            list.by_label
                .entry(label_key(&entry.label_en))
                .or_insert(code);
            list.entries.push(entry);
        }
        for list in lists.values_mut() {
            list.entries.sort_by_key(|e| e.code);
        }
        Ok(CodeBook { lists })
    }

    /// A list by name (`r303`, `shdk`, ...).
    pub fn list(&self, name: &str) -> Option<&CodeList> {
        self.lists.get(name)
    }

    /// Names of all lists, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.lists.keys().map(String::as_str).collect();
        v.sort_unstable();
        v
    }
}

/// Relationship to the head of family on the family card (SIAK *SHDK*, codes 1–11).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Relationship {
    /// 1 *Kepala keluarga*.
    Head = 1,
    /// 2 *Suami*.
    Husband = 2,
    /// 3 *Istri*.
    Wife = 3,
    /// 4 *Anak*.
    Child = 4,
    /// 5 *Menantu*.
    ChildInLaw = 5,
    /// 6 *Cucu*.
    Grandchild = 6,
    /// 7 *Orang tua*.
    Parent = 7,
    /// 8 *Mertua*.
    ParentInLaw = 8,
    /// 9 *Famili lain*.
    OtherRelative = 9,
    /// 10 *Pembantu*.
    DomesticHelper = 10,
    /// 11 *Lainnya*.
    Other = 11,
}

impl Relationship {
    /// All values in code order.
    pub const ALL: [Relationship; 11] = [
        Relationship::Head,
        Relationship::Husband,
        Relationship::Wife,
        Relationship::Child,
        Relationship::ChildInLaw,
        Relationship::Grandchild,
        Relationship::Parent,
        Relationship::ParentInLaw,
        Relationship::OtherRelative,
        Relationship::DomesticHelper,
        Relationship::Other,
    ];

    /// The SHDK code.
    pub fn shdk(self) -> u8 {
        self as u8
    }

    /// From the SHDK code.
    pub fn from_shdk(code: u32) -> Option<Relationship> {
        Relationship::ALL
            .get((code as usize).wrapping_sub(1))
            .copied()
    }

    /// The Regsosek 2022 `r409` code (1–8). The mapping loses detail: husband and wife
    /// become 2, parent and parent-in-law 6, other relative and other 8.
    pub fn regsosek(self) -> u8 {
        match self {
            Relationship::Head => 1,
            Relationship::Husband | Relationship::Wife => 2,
            Relationship::Child => 3,
            Relationship::ChildInLaw => 4,
            Relationship::Grandchild => 5,
            Relationship::Parent | Relationship::ParentInLaw => 6,
            Relationship::DomesticHelper => 7,
            Relationship::OtherRelative | Relationship::Other => 8,
        }
    }

    /// From a Regsosek `r409` code, using sex to tell husband from wife. Parent and
    /// parent-in-law cannot be told apart and read as parent; 8 reads as other relative.
    pub fn from_regsosek(code: u32, female: bool) -> Option<Relationship> {
        Some(match code {
            1 => Relationship::Head,
            2 if female => Relationship::Wife,
            2 => Relationship::Husband,
            3 => Relationship::Child,
            4 => Relationship::ChildInLaw,
            5 => Relationship::Grandchild,
            6 => Relationship::Parent,
            7 => Relationship::DomesticHelper,
            8 => Relationship::OtherRelative,
            _ => return None,
        })
    }

    /// The DTKS `HUB_KEL` text. DTKS has no helper label; helpers read as `LAINNYA`.
    pub fn dtks_label(self) -> &'static str {
        match self {
            Relationship::Head => "KEPALA KELUARGA",
            Relationship::Husband => "SUAMI",
            Relationship::Wife => "ISTRI",
            Relationship::Child => "ANAK",
            Relationship::ChildInLaw => "MENANTU",
            Relationship::Grandchild => "CUCU",
            Relationship::Parent => "ORANG TUA",
            Relationship::ParentInLaw => "MERTUA",
            Relationship::OtherRelative => "FAMILI LAIN",
            Relationship::DomesticHelper | Relationship::Other => "LAINNYA",
        }
    }
}

/// Marital status (*status kawin*, SIAK `STAT_KWN`, Regsosek `r408`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MaritalStatus {
    /// 1 *Belum kawin*.
    NeverMarried = 1,
    /// 2 *Kawin*.
    Married = 2,
    /// 3 *Cerai hidup*.
    Divorced = 3,
    /// 4 *Cerai mati*.
    Widowed = 4,
}

impl MaritalStatus {
    /// The code, 1–4.
    pub fn code(self) -> u8 {
        self as u8
    }
    /// From the code.
    pub fn from_code(c: u32) -> Option<MaritalStatus> {
        Some(match c {
            1 => MaritalStatus::NeverMarried,
            2 => MaritalStatus::Married,
            3 => MaritalStatus::Divorced,
            4 => MaritalStatus::Widowed,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_book_parses_and_holds_the_lists_the_sources_use() {
        let book = CodeBook::official();
        for name in [
            "jenis_kelamin",
            "status_kawin",
            "agama",
            "pendidikan_dukcapil",
            "pekerjaan_dukcapil",
            "shdk",
            "r409",
            "r301a",
            "r303",
            "r304",
            "r305",
            "r306a",
            "r307a",
            "r307b",
            "r308",
            "r309a",
            "r309b",
            "r310",
            "r404",
            "r412",
            "r415",
            "r417",
            "r418",
            "r428",
            "r430",
            "hub_kel_dtks",
        ] {
            assert!(book.list(name).is_some(), "list {name} missing");
        }
        assert_eq!(book.list("shdk").map(|l| l.entries().len()), Some(11));
        assert_eq!(book.list("r409").map(|l| l.entries().len()), Some(8));
        assert_eq!(
            book.list("r303").and_then(|l| l.label(8, Lang::Id)),
            Some("Tanah")
        );
        assert_eq!(
            book.list("r303").and_then(|l| l.label(8, Lang::En)),
            Some("Earth")
        );
        // Regsosek r308 has no code 5 (brief §4.3).
        assert_eq!(book.list("r308").map(|l| l.contains(5)), Some(false));
    }

    #[test]
    fn text_labels_read_back_to_codes() {
        let book = CodeBook::official();
        let floor = book.list("r303").expect("r303");
        assert_eq!(floor.code_for_label("SEMEN/BATA MERAH"), Some(6));
        assert_eq!(floor.code_for_label("semen bata merah"), Some(6));
        assert_eq!(floor.code_for_label("ceramic"), Some(2));
        assert_eq!(floor.code_for_label("emas"), None);
        let hub = book.list("hub_kel_dtks").expect("hub_kel_dtks");
        for r in Relationship::ALL {
            let code = hub
                .code_for_label(r.dtks_label())
                .expect("every DTKS label reads back");
            let back = Relationship::from_shdk(u32::from(code)).expect("valid shdk");
            assert_eq!(back.dtks_label(), r.dtks_label());
        }
    }

    #[test]
    fn shdk_and_regsosek_codes_map_both_ways_where_they_can() {
        for r in Relationship::ALL {
            let female = r == Relationship::Wife;
            let back = Relationship::from_regsosek(u32::from(r.regsosek()), female)
                .expect("every r409 code maps back");
            assert_eq!(back.regsosek(), r.regsosek());
            assert_eq!(Relationship::from_shdk(u32::from(r.shdk())), Some(r));
        }
        assert_eq!(Relationship::from_shdk(0), None);
        assert_eq!(Relationship::from_shdk(12), None);
        assert_eq!(Relationship::from_regsosek(9, false), None);
    }

    #[test]
    fn duplicate_codes_are_refused() {
        let bad = "list,code,label_id,label_en,source\nx,1,A,A,s\nx,1,B,B,s\n";
        assert!(CodeBook::from_csv(bad).is_err());
    }
}
