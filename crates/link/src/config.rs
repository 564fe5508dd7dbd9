//! The linkage configuration (TOML): which columns to read, how to compare them, how to block,
//! how to train and where to cut. See `configs/dtsen-persons.toml` for a commented example.

use serde::{Deserialize, Serialize};

use crate::LinkError;

/// A whole configuration file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// How the input file is read.
    pub input: InputConfig,
    /// The comparisons, in the order their contributions are shown.
    #[serde(rename = "comparison")]
    pub comparisons: Vec<ComparisonConfig>,
    /// The blocking rules; candidate pairs are their union.
    #[serde(rename = "blocking")]
    pub blocking: Vec<BlockingRule>,
    /// The deterministic pass, run before the probabilistic one.
    #[serde(default)]
    pub deterministic: Vec<DeterministicRule>,
    /// Training settings.
    #[serde(default)]
    pub model: ModelConfig,
    /// Clustering settings.
    #[serde(default)]
    pub clustering: ClusteringConfig,
}

/// How the input is read.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputConfig {
    /// Field separator, one character (`","`, `";"`, `"|"`, `"\t"`).
    #[serde(default = "default_delimiter")]
    pub delimiter: String,
    /// Whether fields may be quoted (`"..."`). Default: yes, except for tab-separated files.
    pub quoting: Option<bool>,
    /// Columns that together identify a record (joined with `:` in the output).
    pub id: Vec<String>,
    /// Column naming the source of each record; with `mode = "link"` only pairs from different
    /// sources are compared, and evaluation is reported per source pair.
    pub source: Option<String>,
    /// `dedupe` (every pair) or `link` (pairs across sources only).
    #[serde(default)]
    pub mode: Mode,
}

fn default_delimiter() -> String {
    ",".to_string()
}

/// Which pairs are in scope.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Every pair of records.
    #[default]
    Dedupe,
    /// Only pairs whose sources differ.
    Link,
}

/// The kind of a comparison, which fixes its levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComparisonKind {
    /// Levels: exact, else, null.
    Exact,
    /// Names: exact, reordered (same tokens in another order), close (Jaro–Winkler ≥ the first
    /// threshold or one edit), partial (every token of the shorter name in the longer, initials
    /// allowed), far (Jaro–Winkler ≥ the second threshold), else, null.
    Name,
    /// Dates (`YYYY-MM-DD`, `DD-MM-YYYY`, `DD/MM/YYYY`, `YYYYMMDD`; `00`/`98` unknown parts): exact,
    /// partial (agree where both are known), swapped (day and month swapped), year_off (same day
    /// and month, year ±1), month_off (same year, one of day or month differs), near (within
    /// ten years), else (further apart: a parent and a child), null.
    Date,
    /// Indonesian NIK by its structure: exact, typo (one edit outside the serial), else (which
    /// includes the same region and birth date with another serial), null (missing or not 16
    /// digits).
    Nik,
    /// Hierarchical region codes (digits; dots ignored): same village (10 digits), district (6),
    /// regency (4), province (2), else, null.
    Region,
    /// Numbers: exact, close (|a−b| ≤ first threshold), far (≤ second), else, null.
    Numeric,
}

/// One comparison.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComparisonConfig {
    /// Name shown in outputs and explanations.
    pub name: String,
    /// The kind.
    pub kind: ComparisonKind,
    /// The input column.
    pub column: String,
    /// Adjust the exact level by how common the value is (common names weigh less).
    #[serde(default)]
    pub term_frequency: bool,
    /// Thresholds: `name` [close JW, far JW] (default [0.92, 0.80]); `numeric` [close, far].
    #[serde(default)]
    pub thresholds: Vec<f64>,
    /// A column saying whether the value is valid (e.g. ingest's `nik_status`); with
    /// `valid_values`, a value is valid only when that column holds one of them.
    pub valid_column: Option<String>,
    /// The values of `valid_column` that mean valid (default `["valid"]`).
    #[serde(default)]
    pub valid_values: Vec<String>,
}

/// A blocking rule: records whose keys are all equal (and present) form candidate pairs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockingRule {
    /// Name shown in the report.
    pub name: String,
    /// Key expressions: `column`, `year(column)`, `first_token(column)`,
    /// `last_token(column)`, `phonetic(column)` (of the first token), `phonetic_last(column)`,
    /// `sorted_tokens(column)`,
    /// `prefix(column, n)`.
    pub keys: Vec<String>,
}

/// A deterministic rule: every named comparison at the given level or a stronger one.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeterministicRule {
    /// Name shown in the output's `method` column.
    pub name: String,
    /// `comparison = "weakest level accepted"`, e.g. `{ nik = "exact", name = "close" }`.
    pub require: std::collections::BTreeMap<String, String>,
    /// Only records whose value in this comparison is valid (for `nik`: a well-formed NIK).
    #[serde(default)]
    pub valid: Vec<String>,
}

/// Training settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// Random pairs sampled to estimate u probabilities.
    #[serde(default = "default_u_pairs")]
    pub u_sample_pairs: usize,
    /// Maximum EM iterations per training session.
    #[serde(default = "default_em_iterations")]
    pub em_iterations: usize,
    /// Seed for the random sampling.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Blocks larger than this are skipped and reported (their pairs must come from other rules).
    #[serde(default = "default_max_block")]
    pub max_block: usize,
    /// Pairs below this match probability are not written to `pairs.csv`.
    #[serde(default = "default_output_min")]
    pub output_min_probability: f64,
    /// Whether `pairs.csv` lists the deterministic links too (by default they are counted in
    /// the report: a valid NIK equal with name and birth date agreeing needs no more; any of
    /// them can be explained on demand).
    #[serde(default)]
    pub output_deterministic_pairs: bool,
}

fn default_u_pairs() -> usize {
    2_000_000
}
fn default_em_iterations() -> usize {
    40
}
fn default_seed() -> u64 {
    1
}
fn default_max_block() -> usize {
    2_000
}
fn default_output_min() -> f64 {
    0.05
}

impl Default for ModelConfig {
    fn default() -> ModelConfig {
        ModelConfig {
            u_sample_pairs: default_u_pairs(),
            em_iterations: default_em_iterations(),
            seed: default_seed(),
            max_block: default_max_block(),
            output_min_probability: default_output_min(),
            output_deterministic_pairs: false,
        }
    }
}

/// Clustering settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusteringConfig {
    /// Pairs at or above this match probability are linked.
    #[serde(default = "default_threshold")]
    pub threshold: f64,
    /// A comparison of kind `nik` (or `exact`) whose values identify a person: a cluster holding
    /// two valid values that are not one typo apart is a conflict and goes to review, split.
    pub distinct: Option<String>,
    /// The authoritative source for `distinct` (e.g. `siak`): an identifier counts as a
    /// person's only when a record of this source holds it, so a typo that happens to be well
    /// formed does not split a cluster. Without it, every valid identifier counts.
    pub authority_source: Option<String>,
    /// A bridge (the only link between two parts of a cluster, each of at least two records)
    /// below this match probability is cut and sent to review.
    #[serde(default = "default_bridge")]
    pub bridge_min_probability: f64,
}

fn default_threshold() -> f64 {
    0.5
}
fn default_bridge() -> f64 {
    0.99
}

impl Default for ClusteringConfig {
    fn default() -> ClusteringConfig {
        ClusteringConfig {
            threshold: default_threshold(),
            distinct: None,
            authority_source: None,
            bridge_min_probability: default_bridge(),
        }
    }
}

impl Config {
    /// Parses and checks a configuration.
    pub fn parse(text: &str) -> Result<Config, LinkError> {
        let config: Config =
            basic_toml::from_str(text).map_err(|e| LinkError::Config(e.to_string()))?;
        config.check()?;
        Ok(config)
    }

    /// The field separator as a byte.
    pub fn delimiter(&self) -> Result<u8, LinkError> {
        let d = match self.input.delimiter.as_str() {
            "\\t" | "tab" => "\t",
            d => d,
        };
        match d.as_bytes() {
            [b] => Ok(*b),
            _ => Err(LinkError::Config(format!(
                "input.delimiter must be one character, got {:?}",
                self.input.delimiter
            ))),
        }
    }

    fn check(&self) -> Result<(), LinkError> {
        let bad = |m: String| Err(LinkError::Config(m));
        self.delimiter()?;
        if self.input.id.is_empty() {
            return bad("input.id must name at least one column".into());
        }
        if self.comparisons.is_empty() {
            return bad("at least one [[comparison]] is needed".into());
        }
        if self.comparisons.len() > 12 {
            return bad("at most 12 comparisons are supported".into());
        }
        if self.blocking.is_empty() {
            return bad("at least one [[blocking]] rule is needed".into());
        }
        if self.blocking.len() > 16 {
            return bad("at most 16 blocking rules are supported".into());
        }
        let mut names = std::collections::HashSet::new();
        for c in &self.comparisons {
            if !names.insert(c.name.as_str()) {
                return bad(format!("comparison name {:?} is used twice", c.name));
            }
            let need = match c.kind {
                ComparisonKind::Numeric => 2,
                _ => 0,
            };
            if c.thresholds.len() < need {
                return bad(format!(
                    "comparison {:?} (numeric) needs thresholds = [close, far]",
                    c.name
                ));
            }
        }
        for r in &self.blocking {
            if r.keys.is_empty() {
                return bad(format!("blocking rule {:?} has no keys", r.name));
            }
            for k in &r.keys {
                crate::block::KeyExpr::parse(k)?;
            }
        }
        for d in &self.deterministic {
            for (name, level) in &d.require {
                let Some(c) = self.comparisons.iter().find(|c| &c.name == name) else {
                    return bad(format!(
                        "deterministic rule {:?} names comparison {name:?}, which does not exist",
                        d.name
                    ));
                };
                if crate::levels::level_index(c.kind, level).is_none() {
                    return bad(format!(
                        "deterministic rule {:?}: {name:?} has no level {level:?} (levels: {})",
                        d.name,
                        crate::levels::level_names(c.kind).join(", ")
                    ));
                }
            }
            for name in &d.valid {
                if !self.comparisons.iter().any(|c| &c.name == name) {
                    return bad(format!(
                        "deterministic rule {:?}: valid names unknown comparison {name:?}",
                        d.name
                    ));
                }
            }
        }
        if let Some(d) = &self.clustering.distinct {
            match self.comparisons.iter().find(|c| &c.name == d) {
                Some(c) if matches!(c.kind, ComparisonKind::Nik | ComparisonKind::Exact) => {}
                _ => {
                    return bad(format!(
                        "clustering.distinct = {d:?} must name a comparison of kind nik or exact"
                    ))
                }
            }
        }
        if !(0.0..=1.0).contains(&self.clustering.threshold) {
            return bad("clustering.threshold must lie in 0..1".into());
        }
        Ok(())
    }
}
