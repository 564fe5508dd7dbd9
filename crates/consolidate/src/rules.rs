//! Survivorship and completeness rules as data (`configs/consolidate/fields.csv`): for every
//! field of the golden person and family, the sources in order of trust, the name it carries in
//! the DTSEN export, and whether the ranking needs it (for members: from which age).

use crate::{ConsolidateError, Source};

/// The built-in rules.
pub const DEFAULT_FIELDS: &str = include_str!("../../../configs/consolidate/fields.csv");

/// Whose field it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entity {
    /// A person (*individu*).
    Person,
    /// A family (*keluarga*).
    Family,
}

/// One field's rule.
#[derive(Clone, Debug)]
pub struct FieldRule {
    /// Person or family.
    pub entity: Entity,
    /// Column of the ingest output (or `attrs` key) holding the value.
    pub field: String,
    /// Name in the export and in the snapshot.
    pub export: String,
    /// Sources in order of trust: the first that has a value wins.
    pub sources: Vec<Source>,
    /// Needed by the ranking: families always (`Some(0)`), members from this age.
    pub ranking_min_age: Option<u32>,
}

/// All rules.
#[derive(Clone, Debug)]
pub struct Rules {
    /// Person fields, in file order.
    pub person: Vec<FieldRule>,
    /// Family fields, in file order.
    pub family: Vec<FieldRule>,
}

impl Rules {
    /// The built-in rules.
    pub fn builtin() -> Rules {
        // The embedded file is tested below; it cannot fail here.
        Rules::parse(DEFAULT_FIELDS).unwrap_or(Rules {
            person: Vec::new(),
            family: Vec::new(),
        })
    }

    /// Parses a rules file.
    pub fn parse(text: &str) -> Result<Rules, ConsolidateError> {
        let mut rdr = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let bad = |line: u64, msg: String| ConsolidateError::Rules(format!("line {line}: {msg}"));
        let mut rules = Rules {
            person: Vec::new(),
            family: Vec::new(),
        };
        for (k, row) in rdr.records().enumerate() {
            let line = k as u64 + 2;
            let row = row.map_err(|e| bad(line, e.to_string()))?;
            let get = |i: usize| row.get(i).unwrap_or("");
            let entity = match get(0) {
                "person" => Entity::Person,
                "family" => Entity::Family,
                other => {
                    return Err(bad(
                        line,
                        format!("entity {other:?} is neither person nor family"),
                    ))
                }
            };
            let sources = get(3)
                .split_whitespace()
                .map(|s| {
                    Source::from_key(s).ok_or_else(|| bad(line, format!("unknown source {s:?}")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            if sources.is_empty() {
                return Err(bad(line, "no source".into()));
            }
            for s in &sources {
                let ok = match entity {
                    Entity::Person => s.is_person_record(),
                    Entity::Family => s.is_person_record() || *s == Source::RegsosekKeluarga,
                };
                if !ok {
                    return Err(bad(
                        line,
                        format!("source {} cannot give a {:?} field", s.key(), entity),
                    ));
                }
            }
            let ranking_min_age = match get(4) {
                "" => None,
                v => Some(
                    v.parse()
                        .map_err(|_| bad(line, format!("ranking_min_age {v:?} is not a number")))?,
                ),
            };
            let rule = FieldRule {
                entity,
                field: get(1).to_owned(),
                export: get(2).to_owned(),
                sources,
                ranking_min_age,
            };
            if rule.field.is_empty() || rule.export.is_empty() {
                return Err(bad(line, "field and export must not be empty".into()));
            }
            match entity {
                Entity::Person => rules.person.push(rule),
                Entity::Family => rules.family.push(rule),
            }
        }
        Ok(rules)
    }

    /// Index of a person field by its ingest name.
    pub fn person_field(&self, field: &str) -> Option<usize> {
        self.person.iter().position(|r| r.field == field)
    }

    /// Index of a family field by its ingest name.
    pub fn family_field(&self, field: &str) -> Option<usize> {
        self.family.iter().position(|r| r.field == field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_rules_parse() {
        let r = Rules::parse(DEFAULT_FIELDS).expect("built-in rules");
        assert!(r.person_field("name").is_some());
        assert_eq!(r.person[0].sources[0], Source::Siak);
        assert!(r.family.iter().any(|f| f.export == "jenis_lantai_terluas"));
        assert_eq!(
            r.family
                .iter()
                .filter(|f| f.export.starts_with("aset_bergerak_"))
                .count(),
            14
        );
    }

    #[test]
    fn bad_rules_say_where() {
        let e = Rules::parse("entity,field,export,sources,ranking_min_age\nperson,x,y,nowhere,\n")
            .expect_err("unknown source");
        assert!(e.to_string().contains("line 2"), "{e}");
        let e = Rules::parse(
            "entity,field,export,sources,ranking_min_age\nperson,x,y,regsosek_keluarga,\n",
        )
        .expect_err("family source for a person field");
        assert!(e.to_string().contains("cannot give"), "{e}");
    }
}
