//! The model's variables (`configs/rank/variables.csv`, data) and how a family's raw values
//! become the numbers the models use: dummies for codes (rare codes merged into "other", the
//! most common one the reference), yes/no for assets, logs for areas and herds, shares of
//! family size for member counts, the head's age and its square.

use serde::{Deserialize, Serialize};

use crate::RankError;

/// The built-in variable list.
pub const DEFAULT_VARIABLES: &str = include_str!("../../../configs/rank/variables.csv");

/// How a variable is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A code: one dummy per level.
    Category,
    /// Yes (`1`) or no (anything else: `0`, `2`).
    Binary,
    /// A number taken as it is.
    Count,
    /// `ln(1 + x)`.
    Log,
    /// `ln(x)` of the family size.
    Logsize,
    /// A member count divided by the family size.
    Share,
    /// Age and age² / 100.
    Age,
}

/// One variable.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Variable {
    /// Column name (DTSEN vocabulary, as in `susenas.csv`).
    pub name: String,
    /// Encoding.
    pub kind: Kind,
    /// Label in Bahasa Indonesia.
    pub label_id: String,
    /// Label in English.
    pub label_en: String,
    /// The code list (`data/codes/codes.csv`) naming its values, if any.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub codes: String,
    /// Category levels kept (codes), the reference first; rarer codes are "other".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub levels: Vec<String>,
}

/// Parses a variable list.
pub fn parse_variables(text: &str) -> Result<Vec<Variable>, RankError> {
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    for (k, row) in rdr.records().enumerate() {
        let line = k + 2;
        let row = row.map_err(|e| RankError::Spec(format!("line {line}: {e}")))?;
        let kind = match row.get(1).unwrap_or("") {
            "category" => Kind::Category,
            "binary" => Kind::Binary,
            "count" => Kind::Count,
            "log" => Kind::Log,
            "logsize" => Kind::Logsize,
            "share" => Kind::Share,
            "age" => Kind::Age,
            other => {
                return Err(RankError::Spec(format!(
                    "line {line}: unknown kind {other:?}"
                )))
            }
        };
        out.push(Variable {
            name: row.get(0).unwrap_or("").to_owned(),
            kind,
            label_id: row.get(2).unwrap_or("").to_owned(),
            label_en: row.get(3).unwrap_or("").to_owned(),
            codes: row.get(4).unwrap_or("").to_owned(),
            levels: Vec::new(),
        });
    }
    if !out.iter().any(|v| v.kind == Kind::Logsize) {
        return Err(RankError::Spec(
            "one variable must be the family size (kind logsize)".into(),
        ));
    }
    Ok(out)
}

/// One encoded column: which variable it belongs to and what it is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Column {
    /// Index of the variable.
    pub variable: usize,
    /// `=code` for a dummy, `=other`, `^2` for age squared, empty otherwise.
    pub part: String,
}

/// The encoding learnt from a training sample.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Encoder {
    /// Variables, with their category levels.
    pub variables: Vec<Variable>,
    /// Encoded columns (no intercept).
    pub columns: Vec<Column>,
    /// Weighted mean of each column in the training sample: the reference family, and the
    /// value a missing variable takes.
    pub means: Vec<f64>,
}

/// A family's raw values, by variable (in the encoder's variable order).
pub type Raw = Vec<Option<String>>;

/// Minimum weighted share for a code to keep its own dummy.
const MIN_SHARE: f64 = 0.005;

impl Encoder {
    /// Learns levels and means from raw rows with weights.
    pub fn fit(mut variables: Vec<Variable>, rows: &[Raw], weights: &[f64]) -> Encoder {
        let total: f64 = weights.iter().sum::<f64>().max(1e-12);
        for (k, v) in variables.iter_mut().enumerate() {
            if v.kind != Kind::Category {
                continue;
            }
            let mut counts: Vec<(String, f64)> = Vec::new();
            for (r, w) in rows.iter().zip(weights) {
                if let Some(code) = &r[k] {
                    match counts.iter_mut().find(|c| c.0 == *code) {
                        Some(c) => c.1 += w,
                        None => counts.push((code.clone(), *w)),
                    }
                }
            }
            counts.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            v.levels = counts
                .into_iter()
                .filter(|c| c.1 / total >= MIN_SHARE)
                .map(|c| c.0)
                .collect();
        }
        let mut columns = Vec::new();
        for (k, v) in variables.iter().enumerate() {
            match v.kind {
                Kind::Category => {
                    for level in v.levels.iter().skip(1) {
                        columns.push(Column {
                            variable: k,
                            part: format!("={level}"),
                        });
                    }
                    columns.push(Column {
                        variable: k,
                        part: "=other".into(),
                    });
                }
                Kind::Age => {
                    columns.push(Column {
                        variable: k,
                        part: String::new(),
                    });
                    columns.push(Column {
                        variable: k,
                        part: "^2".into(),
                    });
                }
                _ => columns.push(Column {
                    variable: k,
                    part: String::new(),
                }),
            }
        }
        let mut enc = Encoder {
            variables,
            columns,
            means: Vec::new(),
        };
        let mut means = vec![0.0; enc.columns.len()];
        let mut seen = vec![0.0; enc.columns.len()];
        for (r, w) in rows.iter().zip(weights) {
            for (c, x) in enc.encode_raw(r).into_iter().enumerate() {
                if let Some(x) = x {
                    means[c] += w * x;
                    seen[c] += w;
                }
            }
        }
        enc.means = means
            .iter()
            .zip(&seen)
            .map(|(m, s)| if *s > 0.0 { m / s } else { 0.0 })
            .collect();
        enc
    }

    fn size(&self, raw: &Raw) -> Option<f64> {
        let k = self
            .variables
            .iter()
            .position(|v| v.kind == Kind::Logsize)?;
        raw[k].as_deref()?.parse::<f64>().ok().filter(|s| *s >= 1.0)
    }

    /// Encodes one family; `None` where the variable is missing.
    fn encode_raw(&self, raw: &Raw) -> Vec<Option<f64>> {
        let size = self.size(raw);
        let num = |k: usize| raw[k].as_deref().and_then(|s| s.parse::<f64>().ok());
        self.columns
            .iter()
            .map(|col| {
                let v = &self.variables[col.variable];
                let k = col.variable;
                match v.kind {
                    Kind::Category => {
                        let code = raw[k].as_deref()?;
                        let known = v.levels.iter().any(|l| l == code);
                        let hit = if col.part == "=other" {
                            !known
                        } else {
                            col.part[1..] == *code
                        };
                        Some(f64::from(u8::from(hit)))
                    }
                    Kind::Binary => raw[k].as_deref().map(|s| f64::from(u8::from(s == "1"))),
                    Kind::Count => num(k),
                    Kind::Log => num(k).map(|x| x.max(0.0).ln_1p()),
                    Kind::Logsize => size.map(f64::ln),
                    Kind::Share => Some(num(k)? / size?),
                    Kind::Age => {
                        let a = num(k)?;
                        Some(if col.part == "^2" { a * a / 100.0 } else { a })
                    }
                }
            })
            .collect()
    }

    /// Encodes one family: missing values take the reference family's (the training mean).
    /// Returns the row and the variables that were missing.
    pub fn encode(&self, raw: &Raw) -> (Vec<f64>, Vec<usize>) {
        let enc = self.encode_raw(raw);
        let mut missing = Vec::new();
        let row = enc
            .iter()
            .zip(&self.columns)
            .enumerate()
            .map(|(c, (x, col))| {
                x.unwrap_or_else(|| {
                    if missing.last() != Some(&col.variable) {
                        missing.push(col.variable);
                    }
                    self.means[c]
                })
            })
            .collect();
        (row, missing)
    }

    /// Index of a variable by name.
    pub fn variable(&self, name: &str) -> Option<usize> {
        self.variables.iter().position(|v| v.name == name)
    }
}
