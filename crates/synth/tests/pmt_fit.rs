//! The synthetic survey must support a proxy-means test about as well as real ones do: an OLS
//! of log consumption per person on the family variables reaches an out-of-sample R² of about
//! 0.4–0.6 (real PMTs: 0.4–0.6), neither trivially perfect nor useless.

// Dense linear algebra reads best with indices.
#![allow(clippy::needless_range_loop)]

use dtsen_core::RegionCode;
use dtsen_synth::{generate, Config};

/// Categorical columns (dummy-coded) and numeric columns (as they are).
const CATEGORICAL: [&str; 13] = [
    "status_kepemilikan_rumah",
    "jenis_lantai_terluas",
    "jenis_dinding_terluas",
    "jenis_atap_terluas",
    "sumber_air_minum_utama",
    "sumber_penerangan_utama",
    "daya_terpasang",
    "bahan_bakar_utama_memasak",
    "fasilitas_bab",
    "pembuangan_akhir_tinja",
    "klasifikasi_desa",
    "ijazah_kepala",
    "kode_kabupaten_kota",
];

fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Vec<f64> {
    let n = b.len();
    for i in 0..n {
        a[i][i] += 1e-6; // a whisper of ridge: dummy columns may be collinear
    }
    for c in 0..n {
        let p = (c..n)
            .max_by(|&x, &y| a[x][c].abs().total_cmp(&a[y][c].abs()))
            .unwrap_or(c);
        a.swap(c, p);
        b.swap(c, p);
        let d = a[c][c];
        if d.abs() < 1e-12 {
            continue;
        }
        for r in c + 1..n {
            let f = a[r][c] / d;
            if f != 0.0 {
                for k in c..n {
                    a[r][k] -= f * a[c][k];
                }
                b[r] -= f * b[c];
            }
        }
    }
    let mut x = vec![0.0; n];
    for c in (0..n).rev() {
        let s: f64 = (c + 1..n).map(|k| a[c][k] * x[k]).sum();
        x[c] = if a[c][c].abs() < 1e-12 {
            0.0
        } else {
            (b[c] - s) / a[c][c]
        };
    }
    x
}

#[test]
fn an_ols_pmt_on_the_survey_reaches_a_realistic_fit() {
    let dir = std::env::temp_dir().join(format!("dtsen-test-pmt-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let cfg = Config {
        persons: Some(150_000),
        seed: 11,
        ..Config::default()
    };
    let jatim = RegionCode::parse("35").ok();
    generate(&cfg, jatim, &dir, |_| {}).expect("generation succeeds");
    let mut rdr = csv::Reader::from_path(dir.join("susenas.csv")).expect("susenas.csv");
    let header: Vec<String> = rdr
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name).expect("column");
    let rows: Vec<Vec<String>> = rdr
        .records()
        .map(|r| r.expect("row").iter().map(String::from).collect())
        .collect();
    assert!(rows.len() >= 3_000, "only {} survey rows", rows.len());

    // Design: intercept, dummies for every level but the first, numeric columns, log size.
    let mut levels: Vec<(usize, Vec<String>)> = Vec::new();
    for name in CATEGORICAL {
        let c = col(name);
        let mut v: Vec<String> = rows.iter().map(|r| r[c].clone()).collect();
        v.sort();
        v.dedup();
        v.remove(0);
        levels.push((c, v));
    }
    let numeric: Vec<usize> = header
        .iter()
        .enumerate()
        .filter(|(_, h)| {
            h.starts_with("aset_")
                || h.starts_with("jumlah_anggota_")
                || h.starts_with("jumlah_ternak_")
                || *h == "umur_kepala"
        })
        .map(|(i, _)| i)
        .collect();
    let size = col("jumlah_anggota_keluarga");
    let pcc = col("pengeluaran_per_kapita");
    let features = |r: &Vec<String>| -> Vec<f64> {
        let mut x = vec![1.0];
        for (c, vals) in &levels {
            x.extend(vals.iter().map(|v| f64::from(u8::from(&r[*c] == v))));
        }
        x.extend(numeric.iter().map(|&c| r[c].parse::<f64>().unwrap_or(0.0)));
        x.push(r[size].parse::<f64>().unwrap_or(1.0).ln());
        x
    };
    let data: Vec<(Vec<f64>, f64)> = rows
        .iter()
        .map(|r| {
            (
                features(r),
                r[pcc].parse::<f64>().expect("consumption").ln(),
            )
        })
        .collect();
    let k = data[0].0.len();
    let mut xtx = vec![vec![0.0; k]; k];
    let mut xty = vec![0.0; k];
    for (i, (x, y)) in data.iter().enumerate() {
        if i % 5 == 0 {
            continue; // held out
        }
        for a in 0..k {
            xty[a] += x[a] * y;
            for b in 0..k {
                xtx[a][b] += x[a] * x[b];
            }
        }
    }
    let beta = solve(xtx, xty);
    let held: Vec<&(Vec<f64>, f64)> = data.iter().step_by(5).collect();
    let mean = held.iter().map(|d| d.1).sum::<f64>() / held.len() as f64;
    let (mut ss_res, mut ss_tot) = (0.0, 0.0);
    for (x, y) in held {
        let p: f64 = x.iter().zip(&beta).map(|(a, b)| a * b).sum();
        ss_res += (y - p).powi(2);
        ss_tot += (y - mean).powi(2);
    }
    let r2 = 1.0 - ss_res / ss_tot;
    println!(
        "held-out R² of an OLS PMT on {} survey rows: {r2:.3}",
        rows.len()
    );
    assert!(
        (0.35..=0.65).contains(&r2),
        "held-out R² {r2:.3} is outside 0.35–0.65"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
