//! Welfare ranking (*pemeringkatan kesejahteraan*): a proxy-means test fitted on a survey
//! sample, scores for families, population-weighted deciles (national, provincial,
//! regency/city), explanations, and targeting errors.
//!
//! A score is the predicted log per-capita consumption; it is a *relative position*, never shown
//! as rupiah (brief §4.1). Two models are fitted side by side: weighted least squares on
//! dummies (the statistics office's reference), and OLS plus gradient-boosted trees fitted on its
//! residuals; the second is the default only when it is no worse than OLS on both inclusion and
//! exclusion error on held-out data.

pub mod decile;
pub mod encode;
pub mod eval;
pub mod gbm;
pub mod ols;

use serde::{Deserialize, Serialize};

pub use decile::{deciles, Ranked};
pub use encode::{Encoder, Raw, Variable};
pub use eval::Targeting;

/// What can go wrong.
#[derive(Debug, thiserror::Error)]
pub enum RankError {
    /// The variable list is not usable.
    #[error("variables: {0}")]
    Spec(String),
    /// The survey cannot be read.
    #[error("survey {file}: {message}")]
    Survey {
        /// The file.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// A model file cannot be used.
    #[error("model: {0}")]
    Model(String),
}

/// Which model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// Weighted least squares.
    Ols,
    /// Gradient-boosted trees.
    Gbm,
}

/// A survey sample ready for fitting.
#[derive(Clone, Debug, Default)]
pub struct Sample {
    /// Household ids.
    pub ids: Vec<String>,
    /// Raw values per household, in the variables' order.
    pub raw: Vec<Raw>,
    /// ln(per-capita consumption).
    pub y: Vec<f64>,
    /// Person weights: survey weight × household size.
    pub weights: Vec<f64>,
    /// Household sizes.
    pub sizes: Vec<u32>,
    /// Regency/city code (`kode_kabupaten_kota`), empty when the survey has none.
    pub regencies: Vec<String>,
}

/// Reads a survey file (`susenas.csv`: the variables' columns, `pengeluaran_per_kapita`,
/// `bobot`). Rows without a positive consumption, weight or size are skipped and counted.
pub fn read_survey(
    path: &std::path::Path,
    variables: &[Variable],
) -> Result<(Sample, usize), RankError> {
    let err = |message: String| RankError::Survey {
        file: path.display().to_string(),
        message,
    };
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(|e| err(e.to_string()))?;
    let header = rdr.headers().map_err(|e| err(e.to_string()))?.clone();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let pcc = col("pengeluaran_per_kapita")
        .ok_or_else(|| err("no column pengeluaran_per_kapita".into()))?;
    let weight = col("bobot").ok_or_else(|| err("no column bobot".into()))?;
    let id = col("id_rumah_tangga");
    let regency = col("kode_kabupaten_kota");
    let cols: Vec<Option<usize>> = variables.iter().map(|v| col(&v.name)).collect();
    if let Some(v) = variables.iter().zip(&cols).find(|(_, c)| c.is_none()) {
        return Err(err(format!("no column {:?} (a model variable)", v.0.name)));
    }
    let size_k = variables
        .iter()
        .position(|v| v.kind == encode::Kind::Logsize)
        .ok_or_else(|| RankError::Spec("no family-size variable".into()))?;
    let mut s = Sample::default();
    let mut skipped = 0;
    for (line, row) in rdr.records().enumerate() {
        let row = row.map_err(|e| err(format!("line {}: {e}", line + 2)))?;
        let get = |k: Option<usize>| {
            k.and_then(|k| row.get(k))
                .map(str::trim)
                .filter(|v| !v.is_empty())
        };
        let raw: Raw = cols.iter().map(|&c| get(c).map(str::to_owned)).collect();
        let (Some(p), Some(w), Some(n)) = (
            get(Some(pcc))
                .and_then(|v| v.parse::<f64>().ok())
                .filter(|v| *v > 0.0),
            get(Some(weight))
                .and_then(|v| v.parse::<f64>().ok())
                .filter(|v| *v > 0.0),
            raw[size_k]
                .as_deref()
                .and_then(|v| v.parse::<u32>().ok())
                .filter(|v| *v > 0),
        ) else {
            skipped += 1;
            continue;
        };
        s.ids.push(get(id).unwrap_or("").to_owned());
        s.raw.push(raw);
        s.y.push(p.ln());
        s.weights.push(w * f64::from(n));
        s.sizes.push(n);
        s.regencies.push(get(regency).unwrap_or("").to_owned());
    }
    Ok((s, skipped))
}

/// Whether a household is held out: a fixed hash of its id (20%), so the split does not
/// depend on file order.
pub fn held_out(id: &str) -> bool {
    let h = id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    h % 5 == 0
}

/// Fit statistics of one model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FitSummary {
    /// Weighted R² on the training part.
    pub r2_train: f64,
    /// Weighted R² on the held-out part.
    pub r2_held_out: f64,
    /// Targeting on the held-out part (40% cut-off).
    pub held_out: Targeting,
}

/// A versioned model file.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ModelFile {
    /// Format tag.
    pub format: String,
    /// Version: `pmt-<default model>-<hash of the file's parameters>`.
    pub version: String,
    /// Which model scores.
    pub default: ModelKind,
    /// Why that one.
    pub default_reason: String,
    /// The encoding.
    pub encoder: Encoder,
    /// The reference model.
    pub ols: ols::Ols,
    /// The stronger model: boosted trees on the reference model's residuals (its prediction is
    /// OLS's plus the trees').
    pub gbm: gbm::Gbm,
    /// Per-regency models where the sample allows (OLS on the regency's own households, kept
    /// only when no worse than the default model on the regency's held-out households).
    #[serde(default)]
    pub regional: Vec<Regional>,
    /// Training sample: households (train, held out) and what was skipped.
    pub training: serde_json::Value,
    /// Per model.
    pub summary_ols: FitSummary,
    /// Per model.
    pub summary_gbm: FitSummary,
}

/// A regency's own model.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Regional {
    /// Regency/city code (4 digits).
    pub regency: String,
    /// Its OLS.
    pub ols: ols::Ols,
    /// Training households.
    pub households: usize,
    /// Its held-out targeting (40% cut-off within the regency).
    pub held_out: Targeting,
    /// The default model's held-out targeting on the same households.
    pub held_out_default: Targeting,
}

/// Training households a regency needs for a model of its own (and 1 in 4 of that held out).
pub const MIN_REGIONAL_HOUSEHOLDS: usize = 1_000;

/// The model file format tag.
pub const FORMAT: &str = "dtsen-pmt-model/1";

fn r2(pred: &[f64], y: &[f64], w: &[f64]) -> f64 {
    let tw: f64 = w.iter().sum::<f64>().max(1e-12);
    let mean = y.iter().zip(w).map(|(a, b)| a * b).sum::<f64>() / tw;
    let ss_tot: f64 = y.iter().zip(w).map(|(a, b)| b * (a - mean).powi(2)).sum();
    let ss_res: f64 = pred
        .iter()
        .zip(y)
        .zip(w)
        .map(|((p, a), b)| b * (a - p).powi(2))
        .sum();
    1.0 - ss_res / ss_tot.max(1e-12)
}

/// Fits both models on a survey sample (80% train, 20% held out by id) and chooses the default.
pub fn fit(sample: &Sample, variables: Vec<Variable>, settings: gbm::Settings) -> ModelFile {
    let train: Vec<usize> = (0..sample.y.len())
        .filter(|&i| !held_out(&sample.ids[i]))
        .collect();
    let test: Vec<usize> = (0..sample.y.len())
        .filter(|&i| held_out(&sample.ids[i]))
        .collect();
    let pick =
        |idx: &[usize], v: &dyn Fn(usize) -> f64| idx.iter().map(|&i| v(i)).collect::<Vec<f64>>();
    let train_raw: Vec<Raw> = train.iter().map(|&i| sample.raw[i].clone()).collect();
    let w_train = pick(&train, &|i| sample.weights[i]);
    let encoder = Encoder::fit(variables, &train_raw, &w_train);
    let encode = |idx: &[usize]| -> Vec<Vec<f64>> {
        idx.iter()
            .map(|&i| encoder.encode(&sample.raw[i]).0)
            .collect()
    };
    let (x_train, x_test) = (encode(&train), encode(&test));
    let (y_train, y_test) = (
        pick(&train, &|i| sample.y[i]),
        pick(&test, &|i| sample.y[i]),
    );
    let w_test = pick(&test, &|i| sample.weights[i]);
    let ols = ols::Ols::fit(&x_train, &y_train, &w_train);
    // The stronger model boosts trees on what OLS leaves: interactions and thresholds the
    // linear form cannot take, starting from the reference instead of from nothing.
    let resid: Vec<f64> = x_train
        .iter()
        .zip(&y_train)
        .map(|(r, t)| t - ols.predict(r))
        .collect();
    let gbm = gbm::Gbm::fit(&x_train, &resid, &w_train, settings);
    let summary = |f: &dyn Fn(&[f64]) -> f64| {
        let p_train: Vec<f64> = x_train.iter().map(|r| f(r)).collect();
        let p_test: Vec<f64> = x_test.iter().map(|r| f(r)).collect();
        FitSummary {
            r2_train: r2(&p_train, &y_train, &w_train),
            r2_held_out: r2(&p_test, &y_test, &w_test),
            held_out: eval::targeting(&p_test, &y_test, &w_test, 0.4),
        }
    };
    let summary_ols = summary(&|r| ols.predict(r));
    let summary_gbm = summary(&|r| ols.predict(r) + gbm.predict(r));
    let (o, g) = (&summary_ols.held_out, &summary_gbm.held_out);
    let gbm_wins = g.inclusion_error <= o.inclusion_error && g.exclusion_error <= o.exclusion_error;
    let (default, default_reason) = if gbm_wins {
        (
            ModelKind::Gbm,
            format!(
                "OLS + boosted trees no worse than OLS alone on held-out data: inclusion {:.3} vs {:.3}, exclusion {:.3} vs {:.3}",
                g.inclusion_error, o.inclusion_error, g.exclusion_error, o.exclusion_error
            ),
        )
    } else {
        (
            ModelKind::Ols,
            format!(
                "OLS + boosted trees not at least as good as OLS alone on both errors on held-out data: inclusion {:.3} vs {:.3}, exclusion {:.3} vs {:.3}",
                g.inclusion_error, o.inclusion_error, g.exclusion_error, o.exclusion_error
            ),
        )
    };
    // Per-regency models where the sample allows.
    let mut regional = Vec::new();
    let mut by_regency: std::collections::BTreeMap<&str, (Vec<usize>, Vec<usize>)> =
        Default::default();
    for (k, &i) in train.iter().enumerate() {
        by_regency
            .entry(sample.regencies.get(i).map_or("", String::as_str))
            .or_default()
            .0
            .push(k);
    }
    for (k, &i) in test.iter().enumerate() {
        by_regency
            .entry(sample.regencies.get(i).map_or("", String::as_str))
            .or_default()
            .1
            .push(k);
    }
    for (regency, (tr, te)) in by_regency {
        if regency.is_empty()
            || tr.len() < MIN_REGIONAL_HOUSEHOLDS
            || te.len() < MIN_REGIONAL_HOUSEHOLDS / 4
        {
            continue;
        }
        let rows =
            |idx: &[usize], x: &[Vec<f64>]| idx.iter().map(|&k| x[k].clone()).collect::<Vec<_>>();
        let vals = |idx: &[usize], v: &[f64]| idx.iter().map(|&k| v[k]).collect::<Vec<f64>>();
        let r_ols = ols::Ols::fit(
            &rows(&tr, &x_train),
            &vals(&tr, &y_train),
            &vals(&tr, &w_train),
        );
        let xt = rows(&te, &x_test);
        let (yt, wt) = (vals(&te, &y_test), vals(&te, &w_test));
        let own: Vec<f64> = xt.iter().map(|r| r_ols.predict(r)).collect();
        let pooled: Vec<f64> = xt
            .iter()
            .map(|r| match default {
                ModelKind::Ols => ols.predict(r),
                ModelKind::Gbm => ols.predict(r) + gbm.predict(r),
            })
            .collect();
        let (a, b) = (
            eval::targeting(&own, &yt, &wt, 0.4),
            eval::targeting(&pooled, &yt, &wt, 0.4),
        );
        if a.inclusion_error <= b.inclusion_error && a.exclusion_error <= b.exclusion_error {
            regional.push(Regional {
                regency: regency.to_owned(),
                ols: r_ols,
                households: tr.len(),
                held_out: a,
                held_out_default: b,
            });
        }
    }
    let mut m = ModelFile {
        format: FORMAT.into(),
        version: String::new(),
        default,
        default_reason,
        encoder,
        ols,
        gbm,
        regional,
        training: serde_json::json!({
            "households": sample.y.len(),
            "train": train.len(),
            "held_out": test.len(),
            "split": "FNV-1a hash of id_rumah_tangga, 1 in 5 held out",
            "target": "ln(pengeluaran_per_kapita)",
            "weights": "bobot x jumlah_anggota_keluarga (persons)",
        }),
        summary_ols,
        summary_gbm,
    };
    m.version = version_of(&m);
    m
}

fn version_of(m: &ModelFile) -> String {
    let regional: Vec<(&str, &ols::Ols)> = m
        .regional
        .iter()
        .map(|r| (r.regency.as_str(), &r.ols))
        .collect();
    let text = serde_json::to_string(&(&m.encoder, &m.ols, &m.gbm, &regional)).unwrap_or_default();
    let h = text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let kind = match m.default {
        ModelKind::Ols => "ols",
        ModelKind::Gbm => "gbm",
    };
    format!("pmt-{kind}-{:08x}", h >> 32)
}

impl ModelFile {
    /// Reads a model file, checking its format and version.
    pub fn load(text: &str) -> Result<ModelFile, RankError> {
        let m: ModelFile =
            serde_json::from_str(text).map_err(|e| RankError::Model(e.to_string()))?;
        if m.format != FORMAT {
            return Err(RankError::Model(format!(
                "format {:?}, expected {FORMAT:?}",
                m.format
            )));
        }
        if version_of(&m) != m.version {
            return Err(RankError::Model(format!(
                "version {} does not match its parameters: the file was changed",
                m.version
            )));
        }
        Ok(m)
    }

    /// The score (predicted ln per-capita consumption) of an encoded row with `kind`.
    pub fn predict_with(&self, kind: ModelKind, x: &[f64]) -> f64 {
        match kind {
            ModelKind::Ols => self.ols.predict(x),
            ModelKind::Gbm => self.ols.predict(x) + self.gbm.predict(x),
        }
    }

    /// The default model's score.
    pub fn score(&self, raw: &Raw) -> (f64, Vec<usize>) {
        let (x, missing) = self.encoder.encode(raw);
        (self.predict_with(self.default, &x), missing)
    }

    /// The regency's own model, if it has one.
    pub fn regional(&self, regency: &str) -> Option<&Regional> {
        self.regional.iter().find(|r| r.regency == regency)
    }

    /// The score of an encoded row of a family in `regency`: its own model where it has one,
    /// else the default.
    pub fn predict_in(&self, regency: &str, x: &[f64]) -> f64 {
        match self.regional(regency) {
            Some(r) => r.ols.predict(x),
            None => self.predict_with(self.default, x),
        }
    }

    /// The default model's explanation of a family's score relative to the reference family.
    pub fn explain(&self, raw: &Raw) -> Explanation {
        self.explain_in("", raw)
    }

    /// The explanation of the score of a family in `regency` (its own model where it has one).
    pub fn explain_in(&self, regency: &str, raw: &Raw) -> Explanation {
        let (x, missing) = self.encoder.encode(raw);
        let nv = self.encoder.variables.len();
        let mut per_var = vec![0.0; nv];
        let regional = self.regional(regency);
        let (reference, score) = match (regional, self.default) {
            (Some(r), _) => {
                for (c, col) in self.encoder.columns.iter().enumerate() {
                    per_var[col.variable] += r.ols.coefficients[c] * (x[c] - self.encoder.means[c]);
                }
                (r.ols.predict(&self.encoder.means), r.ols.predict(&x))
            }
            (None, ModelKind::Ols) => {
                for (c, col) in self.encoder.columns.iter().enumerate() {
                    per_var[col.variable] +=
                        self.ols.coefficients[c] * (x[c] - self.encoder.means[c]);
                }
                (self.ols.predict(&self.encoder.means), self.ols.predict(&x))
            }
            (None, ModelKind::Gbm) => {
                for (c, col) in self.encoder.columns.iter().enumerate() {
                    per_var[col.variable] +=
                        self.ols.coefficients[c] * (x[c] - self.encoder.means[c]);
                }
                for (c, v) in self.gbm.contributions(&x).into_iter().enumerate() {
                    per_var[self.encoder.columns[c].variable] += v;
                }
                (
                    self.ols.predict(&self.encoder.means) + self.gbm.base + self.gbm.root_total(),
                    self.predict_with(ModelKind::Gbm, &x),
                )
            }
        };
        let mut contributions: Vec<Contribution> = self
            .encoder
            .variables
            .iter()
            .enumerate()
            .map(|(k, v)| Contribution {
                variable: v.name.clone(),
                label_id: v.label_id.clone(),
                label_en: v.label_en.clone(),
                value_id: code_label(
                    v,
                    raw.get(k).cloned().flatten().as_deref(),
                    dtsen_core::codes::Lang::Id,
                ),
                value_en: code_label(
                    v,
                    raw.get(k).cloned().flatten().as_deref(),
                    dtsen_core::codes::Lang::En,
                ),
                value: raw.get(k).cloned().flatten(),
                imputed: missing.contains(&k),
                effect: per_var[k],
            })
            .collect();
        contributions.sort_by(|a, b| {
            b.effect
                .abs()
                .total_cmp(&a.effect.abs())
                .then(a.variable.cmp(&b.variable))
        });
        Explanation {
            model_version: self.version.clone(),
            model: if regional.is_some() {
                ModelKind::Ols
            } else {
                self.default
            },
            regional: regional.map(|r| r.regency.clone()),
            reference,
            score,
            contributions,
        }
    }
}

/// The label of a variable's value in its code list (a yes/no variable: anything but 1 is no).
fn code_label(v: &Variable, value: Option<&str>, lang: dtsen_core::codes::Lang) -> Option<String> {
    if v.codes.is_empty() {
        return None;
    }
    let value = value?;
    let code: u16 = if v.kind == encode::Kind::Binary {
        if value == "1" {
            1
        } else {
            2
        }
    } else {
        value.parse().ok()?
    };
    dtsen_core::CodeBook::official()
        .list(&v.codes)?
        .label(code, lang)
        .map(str::to_owned)
}

/// One variable's part in a score.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    /// Variable.
    pub variable: String,
    /// Label, Bahasa Indonesia.
    pub label_id: String,
    /// Label, English.
    pub label_en: String,
    /// The family's value (code or number), if known.
    pub value: Option<String>,
    /// What the code means, Bahasa Indonesia (from the code list), if it is a code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_id: Option<String>,
    /// What the code means, English.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_en: Option<String>,
    /// The value was missing and the reference family's was used.
    pub imputed: bool,
    /// Effect on the score (log points) against the reference family.
    pub effect: f64,
}

/// Why a family has its score: the reference family's score plus each variable's effect.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// Model version.
    pub model_version: String,
    /// Model kind.
    pub model: ModelKind,
    /// The regency whose own model scored the family, if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regional: Option<String>,
    /// The reference family's score (the survey's average family).
    pub reference: f64,
    /// The family's score.
    pub score: f64,
    /// Per variable, largest effect first.
    pub contributions: Vec<Contribution>,
}

impl Explanation {
    /// The explanation in words, `lang` = `id` or `en`: the variables that moved the score most.
    pub fn words(&self, lang: &str, top: usize) -> Vec<String> {
        self.contributions
            .iter()
            .filter(|c| c.effect.abs() >= 0.005)
            .take(top)
            .map(|c| {
                let pct = (c.effect.exp() - 1.0) * 100.0;
                let label = if lang == "en" { &c.label_en } else { &c.label_id };
                let named = if lang == "en" { &c.value_en } else { &c.value_id };
                let value = named.as_deref().or(c.value.as_deref()).unwrap_or("-");
                match (lang, c.effect > 0.0, c.imputed) {
                    ("en", up, imputed) => format!(
                        "{label} ({value}{}) {} the estimated consumption by about {:.0}% against the average family",
                        if imputed { ", missing: average used" } else { "" },
                        if up { "raises" } else { "lowers" },
                        pct.abs()
                    ),
                    (_, up, imputed) => format!(
                        "{label} ({value}{}) {} perkiraan pengeluaran sekitar {:.0}% dibanding keluarga rata-rata",
                        if imputed { ", tidak terisi: dipakai rata-rata" } else { "" },
                        if up { "menaikkan" } else { "menurunkan" },
                        pct.abs()
                    ),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const VARS: &str = "name,kind,label_id,label_en\n\
        n,logsize,jumlah anggota,family size\n\
        floor,category,lantai,floor\n\
        car,binary,mobil,car\n\
        area,log,luas,area\n\
        kids,share,anak,children\n\
        age,age,umur,age\n";

    fn sample(n: usize, seed: u64) -> Sample {
        let mut s = Sample::default();
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 11) as f64 / (1u64 << 53) as f64
        };
        for i in 0..n {
            let size = 1 + (next() * 6.0) as u32;
            let floor = 1 + (next() * 5.0) as u32;
            let car = next() < 0.2;
            let area = 20.0 + next() * 100.0;
            let kids = (next() * f64::from(size)) as u32;
            let age = 20.0 + next() * 60.0;
            let y = 13.0 + 0.1 * f64::from(floor) + if car { 0.5 } else { 0.0 } + 0.2 * area.ln()
                - 0.2 * f64::from(size).ln()
                + 0.3 * next();
            s.ids.push(format!("h{i}"));
            s.raw.push(vec![
                Some(size.to_string()),
                Some(floor.to_string()),
                Some(if car { "1" } else { "2" }.into()),
                Some(format!("{area:.0}")),
                Some(kids.to_string()),
                Some(format!("{age:.0}")),
            ]);
            s.y.push(y);
            s.weights.push(f64::from(size));
            s.sizes.push(size);
        }
        s
    }

    fn model() -> ModelFile {
        let vars = encode::parse_variables(VARS).expect("variables");
        let settings = gbm::Settings {
            trees: 40,
            ..Default::default()
        };
        fit(&sample(1500, 3), vars, settings)
    }

    #[test]
    fn a_model_file_round_trips_and_refuses_tampering() {
        let m = model();
        let text = serde_json::to_string(&m).expect("json");
        let back = ModelFile::load(&text).expect("reload");
        let raw = &sample(1, 9).raw[0];
        assert_eq!(back.score(raw).0.to_bits(), m.score(raw).0.to_bits());
        let mut v: serde_json::Value = serde_json::from_str(&text).expect("json");
        v["ols"]["intercept"] = serde_json::json!(99.0);
        let tampered = serde_json::to_string(&v).expect("json");
        assert!(
            ModelFile::load(&tampered).is_err(),
            "a changed coefficient must not load"
        );
    }

    #[test]
    fn a_regency_with_enough_households_and_its_own_pattern_gets_its_own_model() {
        let mut s = sample(6000, 11);
        // Regency 3501: floor area matters much more than elsewhere.
        for i in 0..s.y.len() {
            let regency = if i % 2 == 0 { "3501" } else { "3502" };
            s.regencies.push(regency.into());
            if regency == "3501" {
                let area: f64 = s.raw[i][3]
                    .as_deref()
                    .and_then(|a| a.parse().ok())
                    .unwrap_or(50.0);
                s.y[i] += 1.2 * area.ln()
                    - 2.0
                        * s.raw[i][2]
                            .as_deref()
                            .map_or(0.0, |c| f64::from(u8::from(c == "1")));
            }
        }
        let vars = encode::parse_variables(VARS).expect("variables");
        let m = fit(
            &s,
            vars,
            gbm::Settings {
                trees: 40,
                ..Default::default()
            },
        );
        let r = m.regional("3501").expect("3501 has its own model");
        assert!(r.held_out.exclusion_error <= r.held_out_default.exclusion_error);
        let raw = &s.raw[0];
        let x = m.explain_in("3501", raw);
        assert_eq!(x.regional.as_deref(), Some("3501"));
        let sum = x.reference + x.contributions.iter().map(|c| c.effect).sum::<f64>();
        assert!((sum - x.score).abs() < 1e-9);
        let (row, _) = m.encoder.encode(raw);
        assert_eq!(x.score.to_bits(), m.predict_in("3501", &row).to_bits());
        // Without a regency the default scores.
        assert_eq!(m.explain(raw).regional, None);
        // The model file keeps it, and its version covers it.
        let text = serde_json::to_string(&m).expect("json");
        assert!(ModelFile::load(&text)
            .expect("reload")
            .regional("3501")
            .is_some());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn explanations_add_up_to_the_score(
            size in 1u32..9, floor in 0u32..8, car in any::<bool>(), area in proptest::option::of(5u32..300),
            kids in 0u32..5, age in proptest::option::of(15u32..95), gbm in any::<bool>()
        ) {
            let mut m = model();
            m.default = if gbm { ModelKind::Gbm } else { ModelKind::Ols };
            let raw: Raw = vec![
                Some(size.to_string()),
                Some(floor.to_string()),
                Some(if car { "1" } else { "2" }.into()),
                area.map(|a| a.to_string()),
                Some(kids.min(size).to_string()),
                age.map(|a| a.to_string()),
            ];
            let x = m.explain(&raw);
            let sum = x.reference + x.contributions.iter().map(|c| c.effect).sum::<f64>();
            prop_assert!((sum - x.score).abs() < 1e-9, "{sum} vs {}", x.score);
            prop_assert!((x.score - m.score(&raw).0).abs() < 1e-12);
            prop_assert_eq!(x.contributions.iter().filter(|c| c.imputed).count(), usize::from(area.is_none()) + usize::from(age.is_none()));
        }
    }
}
