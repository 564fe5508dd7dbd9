//! `dtsen bench`: measures figures on this machine and writes them to BENCHMARKS.md with the
//! machine, the date and the command, so every figure in the repository can be re-measured.

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Bulk-load throughput and dashboard query times on a region-sized registry.
    Store {
        /// Database: sqlite://PATH (replaced) or postgres://... (a fresh database `dtsen_bench`
        /// is created on that server).
        #[arg(long)]
        db: String,
        /// The region whose population is loaded (34 = DI Yogyakarta, a province).
        #[arg(long, default_value = "34")]
        region: String,
        /// The file to update.
        #[arg(long, default_value = "BENCHMARKS.md")]
        file: PathBuf,
    },
    /// Ingest throughput (MB/s, records/s, per core) on freshly generated regions.
    Ingest {
        /// Regions to generate and ingest, comma-separated.
        #[arg(long, default_value = "35.71,34")]
        targets: String,
        /// Seed.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Scratch directory (removed after each target).
        #[arg(long, env = "DTSEN_BENCH_DIR", default_value = "bench-scratch")]
        scratch: PathBuf,
        /// The file to update.
        #[arg(long, default_value = "BENCHMARKS.md")]
        file: PathBuf,
    },
    /// Ranking at national size (deciles of 95M families from a score column), model fit time
    /// and scoring throughput.
    Rank {
        /// Families to rank.
        #[arg(long, default_value_t = 95_000_000)]
        families: usize,
        /// A survey sample to time fitting and scoring on (susenas.csv).
        #[arg(long)]
        survey: Option<PathBuf>,
        /// The file to update.
        #[arg(long, default_value = "BENCHMARKS.md")]
        file: PathBuf,
    },
    /// Generation throughput and peak memory, one child process per target region.
    Generate {
        /// Regions to generate, comma-separated (`35.71` Kota Kediri, `35` Jawa Timur).
        #[arg(long, default_value = "35.71,35")]
        targets: String,
        /// Seed.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Scratch directory for the generated files (removed after each target).
        #[arg(long, env = "DTSEN_BENCH_DIR", default_value = "bench-scratch")]
        scratch: PathBuf,
        /// The file to update.
        #[arg(long, default_value = "BENCHMARKS.md")]
        file: PathBuf,
    },
}

pub fn run(cmd: BenchCommand) -> Result<()> {
    match cmd {
        BenchCommand::Generate {
            targets,
            seed,
            scratch,
            file,
        } => generate(&targets, seed, &scratch, &file),
        BenchCommand::Ingest {
            targets,
            seed,
            scratch,
            file,
        } => ingest(&targets, seed, &scratch, &file),
        BenchCommand::Rank {
            families,
            survey,
            file,
        } => rank(families, survey.as_deref(), &file),
        BenchCommand::Store { db, region, file } => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("starting the async runtime")?
            .block_on(store(&db, &region, &file)),
    }
}

/// "35.71 Kota Kediri" for a code in the official table, else the text as given.
fn region_label(target: &str) -> String {
    dtsen_core::RegionCode::parse(target)
        .ok()
        .and_then(|c| {
            dtsen_core::RegionTable::official()
                .get(c)
                .map(|r| format!("{target} {}", r.name))
        })
        .unwrap_or_else(|| target.to_owned())
}

/// CPU time (user + system) of this process so far, in seconds (Linux, 100 ticks a second).
pub fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = f.get(11)?.parse().ok()?;
    let stime: f64 = f.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// Passes of the conversion alone over each file; the fastest and the median are reported
/// (this host's speed varies by a quarter from run to run).
const STAGE_PASSES: usize = 3;

/// Each source file of `dir` converted alone ([`dtsen_ingest::convert_alone`]): (file, the
/// fastest of [`STAGE_PASSES`] passes, the median pass's seconds), in file-name order.
fn convert_alone(dir: &Path) -> Result<Vec<(String, dtsen_ingest::StageFigures, f64)>> {
    let as_of = dtsen_core::Date::parse_iso("2026-09-30").context("the bench's date")?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("listing {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        let data = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        let mut passes: Vec<dtsen_ingest::StageFigures> = Vec::new();
        for _ in 0..STAGE_PASSES {
            match dtsen_ingest::convert_alone(&name, &data, as_of) {
                Some(f) => passes.push(f),
                None => break, // not a source file
            }
        }
        passes.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
        if let Some(&fastest) = passes.first() {
            out.push((name, fastest, passes[passes.len() / 2].seconds));
        }
    }
    Ok(out)
}

fn ingest(targets: &str, seed: u64, scratch: &Path, file: &Path) -> Result<()> {
    let exe = std::env::current_exe().context("cannot find the dtsen executable")?;
    let mut rows = Vec::new();
    let mut stages = Vec::new();
    for target in targets.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        let base = scratch.join(format!("ingest_{}", target.replace('.', "_")));
        let (src, out) = (base.join("sources"), base.join("ingested"));
        eprintln!("bench: generating {target} into {} ...", src.display());
        let gen = Command::new(&exe)
            .args([
                "generate",
                "--region",
                target,
                "--seed",
                &seed.to_string(),
                "--out",
                &src.to_string_lossy(),
                "--json",
            ])
            .output()
            .context("running generate")?;
        if !gen.status.success() {
            let _ = std::fs::remove_dir_all(&base);
            bail!(
                "generate {target} failed: {}",
                String::from_utf8_lossy(&gen.stderr)
            );
        }
        // The truth files are not sources.
        for t in [
            "truth_records.csv",
            "truth_families.csv",
            "truth_persons.csv",
        ] {
            let _ = std::fs::remove_file(src.join(t));
        }
        eprintln!("bench: parse + validate + standardise alone, {target} ...");
        stages.push((region_label(target), convert_alone(&src)?));
        eprintln!("bench: ingesting {target} ...");
        let args = [
            "ingest",
            "--sources",
            &src.to_string_lossy(),
            "--out",
            &out.to_string_lossy(),
            "--as-of",
            "2026-09-30",
            "--json",
        ];
        let output = Command::new(&exe)
            .args(args)
            .output()
            .context("running ingest")?;
        let _ = std::fs::remove_dir_all(&base);
        if !output.status.success() {
            bail!(
                "ingest {target} failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let v: serde_json::Value =
            serde_json::from_slice(&output.stdout).context("reading the ingest report")?;
        let num = |k: &str| v.get(k).and_then(serde_json::Value::as_f64).unwrap_or(0.0);
        let name = region_label(target);
        let cpu = num("cpu_seconds");
        rows.push(format!(
            "| {name} | {:.0} | {:.1} | {:.2} | **{:.0}** | {:.0} | {:.2} | **{:.0}** | {:.0} |",
            num("read"),
            num("bytes") / 1e6,
            num("seconds"),
            num("mb_per_second"),
            num("records_per_second"),
            cpu,
            if cpu > 0.0 {
                num("bytes") / 1e6 / cpu
            } else {
                0.0
            },
            num("peak_rss_bytes") / 1e6,
        ));
        eprintln!("{}", rows.last().map(String::as_str).unwrap_or_default());
    }
    let section = format!(
        "Measured {} on {} (`dtsen bench ingest --targets {targets} --seed {seed}`: each region generated \
         with `dtsen generate --seed {seed}`, truth files removed, then `dtsen ingest --as-of 2026-09-30`).\n\n\
         | region | records | CSV (MB) | seconds | MB/s (wall, 2 cores) | records/s | CPU seconds | MB/s per core (CPU time) | peak RSS (MB) |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|\n{}\n",
        crate::today(),
        machine(),
        rows.join("\n")
    );
    let mut stage_rows = Vec::new();
    for (region, files) in &stages {
        let mut total = dtsen_ingest::StageFigures::default();
        let mut total_median = 0.0;
        for (name, f, median) in files {
            stage_rows.push(stage_row(&format!("{region}: {name}"), f, *median));
            total.bytes += f.bytes;
            total.records += f.records;
            total.seconds += f.seconds;
            total_median += median;
        }
        stage_rows.push(stage_row(
            &format!("**{region}: all sources**"),
            &total,
            total_median,
        ));
    }
    let section = format!(
        "{section}\n\
         Parse + validate + standardise alone, on one core (`dtsen_ingest::convert_alone`, run by the \
         same command on the same generated files): each file already in memory, split into records \
         and fields, decoded, validated, standardised and formatted by the code the converter threads \
         run, into buffers then dropped; no reading from disk, no writing, no other thread; the \
         fastest of {STAGE_PASSES} passes and, after the slash, the median pass.\n\n\
         | source file | records | CSV (MB) | seconds (one core) | MB/s per core (fastest / median) | µs per record |\n\
         |---|---:|---:|---:|---:|---:|\n{}\n",
        stage_rows.join("\n")
    );
    update_section(file, "ingest", &section)?;
    println!("{section}");
    Ok(())
}

fn stage_row(label: &str, f: &dtsen_ingest::StageFigures, median_seconds: f64) -> String {
    let mb = f.bytes as f64 / 1e6;
    let per = |s: f64| if s > 0.0 { mb / s } else { 0.0 };
    format!(
        "| {label} | {} | {:.1} | {:.3} | **{:.0}** / {:.0} | {:.2} |",
        f.records,
        mb,
        f.seconds,
        per(f.seconds),
        per(median_seconds),
        if f.records > 0 {
            f.seconds * 1e6 / f.records as f64
        } else {
            0.0
        },
    )
}

/// Peak resident memory of this process (Linux `VmHWM`), if it can be read.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// "AMD EPYC, 2 cores, 23 GiB" from /proc.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|k| k.parse::<u64>().ok())
        })
        .map(|kb| format!("{} GiB", kb / 1024 / 1024))
        .unwrap_or_else(|| "unknown memory".into());
    format!("{cpu}, {cores} cores, {mem}")
}

fn generate(targets: &str, seed: u64, scratch: &Path, file: &Path) -> Result<()> {
    let exe = std::env::current_exe().context("cannot find the dtsen executable")?;
    let mut rows = Vec::new();
    for target in targets.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        let out = scratch.join(target.replace('.', "_"));
        eprintln!("bench: generating {target} into {} ...", out.display());
        let args = [
            "generate",
            "--region",
            target,
            "--seed",
            &seed.to_string(),
            "--out",
            &out.to_string_lossy(),
            "--json",
        ];
        let output = Command::new(&exe)
            .args(args)
            .output()
            .with_context(|| format!("running {}", exe.display()))?;
        let _ = std::fs::remove_dir_all(&out);
        if !output.status.success() {
            bail!(
                "generate {target} failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let v: serde_json::Value =
            serde_json::from_slice(&output.stdout).context("reading the generate report")?;
        let num = |k: &str| v.get(k).and_then(serde_json::Value::as_f64).unwrap_or(0.0);
        let name = region_label(target);
        rows.push(format!(
            "| {name} | {:.0} | {:.0} | {:.1} | {:.1} | **{:.0}** | {:.0} | `dtsen {}` |",
            num("persons"),
            num("families"),
            num("bytes") / 1e6,
            num("seconds"),
            num("persons_per_second"),
            num("peak_rss_bytes") / 1e6,
            args[..args.len() - 1]
                .join(" ")
                .replace(&*out.to_string_lossy(), "DIR"),
        ));
        eprintln!("{}", rows.last().map(String::as_str).unwrap_or_default());
    }
    let section = format!(
        "Measured {} on {} (`dtsen bench generate --targets {targets} --seed {seed}`).\n\n\
         | region | persons | families | output (MB) | seconds | persons/s (all files) | peak RSS (MB) | command |\n\
         |---|---:|---:|---:|---:|---:|---:|---|\n{}\n",
        crate::today(),
        machine(),
        rows.join("\n")
    );
    update_section(file, "generate", &section)?;
    println!("{section}");
    Ok(())
}

/// A reproducible pseudo-random number per index.
fn mix(i: u64, salt: u64) -> u64 {
    let mut x = i.wrapping_add(salt).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^= x >> 31;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^ (x >> 29)
}

/// Deciles of `n` families from a score column (the national ranking's own cost), and, with a
/// survey, the model's fit time and scoring throughput.
fn rank(n: usize, survey: Option<&Path>, file: &Path) -> Result<()> {
    use rayon::prelude::*;
    let t = std::time::Instant::now();
    let scores: Vec<f64> = (0..n as u64)
        .into_par_iter()
        .map(|i| 12.0 + (mix(i, 1) >> 11) as f64 / (1u64 << 53) as f64)
        .collect();
    let persons: Vec<u32> = (0..n as u64)
        .into_par_iter()
        .map(|i| 1 + (mix(i, 2) % 5) as u32)
        .collect();
    let ids: Vec<i64> = (0..n as i64).collect();
    let province: Vec<u32> = (0..n as u64)
        .into_par_iter()
        .map(|i| (mix(i, 3) % 38) as u32)
        .collect();
    let regency: Vec<u32> = province
        .par_iter()
        .enumerate()
        .map(|(i, p)| p * 100 + (mix(i as u64, 4) % 14) as u32)
        .collect();
    let prepare = t.elapsed().as_secs_f64();
    let t = std::time::Instant::now();
    let r = dtsen_rank::deciles(&scores, &persons, &ids, &province, &regency);
    let secs = t.elapsed().as_secs_f64();
    let total: u64 = persons.iter().map(|&p| u64::from(p)).sum();
    let mut per = [0u64; 10];
    for (i, d) in r.national.iter().enumerate() {
        per[*d as usize - 1] += u64::from(persons[i]);
    }
    let worst = per
        .iter()
        .map(|&p| (p as f64 / total as f64 - 0.1).abs())
        .fold(0.0, f64::max);
    let mut rows = vec![format!(
        "| national ranking: rank + national, provincial (38) and regency (532) deciles | {n} families, {total} persons | {secs:.1} s | worst decile {:.4} pp from 10% (score column built in {prepare:.1} s, peak {} MiB) |",
        100.0 * worst,
        peak_rss_bytes().unwrap_or(0) >> 20
    )];
    drop((scores, persons, ids, province, regency, r));
    if let Some(path) = survey {
        let variables = dtsen_rank::encode::parse_variables(dtsen_rank::encode::DEFAULT_VARIABLES)?;
        let (sample, _) = dtsen_rank::read_survey(path, &variables)?;
        let t = std::time::Instant::now();
        let m = dtsen_rank::fit(&sample, variables, dtsen_rank::gbm::Settings::default());
        let fit = t.elapsed().as_secs_f64();
        rows.push(format!(
            "| fit (OLS + boosted trees, 200 trees, 80% of the sample) | {} households of `{}` | {fit:.2} s | default {:?} |",
            sample.y.len(),
            path.display(),
            m.default
        ));
        let k = 1_000_000usize;
        let t = std::time::Instant::now();
        let sum: f64 = (0..k)
            .into_par_iter()
            .map(|i| m.score(&sample.raw[i % sample.raw.len()]).0)
            .sum();
        let s = t.elapsed().as_secs_f64();
        rows.push(format!(
            "| scoring (encode + default model, both cores) | {k} families | {s:.2} s | {:.0} families/s (checksum {:.1}) |",
            k as f64 / s,
            sum / k as f64
        ));
    }
    let section = format!(
        "Measured {} on {}, command `dtsen bench rank --families {n}{}`.\n\n| what | size | time | notes |\n|---|---|---|---|\n{}\n",
        crate::today(),
        machine(),
        survey.map(|p| format!(" --survey {}", p.display())).unwrap_or_default(),
        rows.join("\n")
    );
    update_section(file, "rank", &section)?;
    println!("{section}");
    Ok(())
}

/// Replaces the text between `<!-- bench:NAME:begin -->` and `<!-- bench:NAME:end -->` in
/// `file` (appending the markers if they are missing).
pub fn update_section(file: &Path, name: &str, body: &str) -> Result<()> {
    let begin = format!("<!-- bench:{name}:begin -->");
    let end = format!("<!-- bench:{name}:end -->");
    let text = std::fs::read_to_string(file).unwrap_or_else(|_| "# Benchmarks\n".to_owned());
    let new = match (text.find(&begin), text.find(&end)) {
        (Some(a), Some(b)) if a < b => format!("{}{begin}\n{body}{}", &text[..a], &text[b..]),
        _ => format!("{}\n{begin}\n{body}{end}\n", text.trim_end()),
    };
    std::fs::write(file, new).with_context(|| format!("writing {}", file.display()))
}

/// Loads a region's planned population into a fresh registry and times the dashboard queries.
async fn store(db: &str, region: &str, file: &Path) -> Result<()> {
    use dtsen_store::{FamilyRow, PersonRow, SnapshotFamilyRow};
    let code = dtsen_core::RegionCode::parse(region).context("--region is not a region code")?;
    let regions = dtsen_core::RegionTable::official();
    let url = if let Some(path) = db.strip_prefix("sqlite://") {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{path}{suffix}"));
        }
        db.to_owned()
    } else {
        dtsen_store::create_test_database(db, "dtsen_bench")
            .await
            .context("creating dtsen_bench")?
    };
    let store = dtsen_store::open(&url)
        .await
        .context("opening the database")?;
    store.migrate().await.context("migrating")?;
    store
        .load_regions(regions)
        .await
        .context("loading regions")?;
    let plan = dtsen_synth::population::plan(regions, Some(code), None);
    let total: u64 = plan.iter().map(|p| p.1).sum();
    eprintln!(
        "bench: loading {total} persons of {region} into {:?} ...",
        store.backend()
    );
    const FIRST: [&str; 8] = [
        "SITI AMINAH",
        "SUPARMAN",
        "MUHAMMAD RIZKY",
        "SRI WAHYUNI",
        "BUDI SANTOSO",
        "DEWI LESTARI",
        "AHMAD",
        "WAGINEM",
    ];
    let (mut persons, mut families, mut snap) = (Vec::new(), Vec::new(), Vec::new());
    let (mut id, mut fid) = (0i64, 0i64);
    let (mut t_persons, mut t_families, mut t_snap) = (0.0f64, 0.0f64, 0.0f64);
    store
        .create_snapshot("BENCH", Some("bench"))
        .await
        .context("snapshot")?;
    // As the first consolidation of a new registry loads: indexes built once at the end,
    // their time counted in each table's rate below.
    store
        .begin_bulk()
        .await
        .context("preparing the bulk load")?;
    let flush = |v: usize| v >= 250_000;
    for (k, (village, n)) in plan.iter().enumerate() {
        let prov = format!("{:02}", village.parts()[0]);
        let desa = village.digits();
        let district = village.value() / 10_000;
        for j in 0..*n as i64 {
            let name = format!("{} {}", FIRST[(id % 8) as usize], id % 9973);
            persons.push(PersonRow {
                kode_provinsi: prov.clone(),
                id,
                // Load-test values: unique 16-digit numbers with the village's district prefix.
                nik: Some(dtsen_core::Nik::from_value_unchecked(
                    district * 10_000_000_000 + id as u64,
                )),
                nik_raw: None,
                name: name.clone(),
                name_std: name,
                birth_date: Some(format!(
                    "{:04}-{:02}-{:02}",
                    1940 + id % 80,
                    1 + id % 12,
                    1 + id % 28
                )),
                sex: Some(1 + (id % 2) as i16),
                death_date: None,
                kode_desa: Some(desa.clone()),
            });
            if j % 3 == 0 {
                families.push(FamilyRow {
                    kode_provinsi: prov.clone(),
                    id: fid,
                    kk: Some(format!("{}{:010}", &desa[..6], fid)),
                    kode_desa: desa.clone(),
                    address: Some("JL. MAWAR".into()),
                    rt: Some("001".into()),
                    rw: Some("002".into()),
                });
                snap.push(SnapshotFamilyRow {
                    kode_provinsi: prov.clone(),
                    family_id: fid,
                    kk: None,
                    kode_desa: desa.clone(),
                    members: 3,
                    score: Some((fid % 1000) as f64),
                    rank_national: Some(fid),
                    desil_nasional: Some((1 + fid % 10) as i16),
                    desil_provinsi: Some((1 + fid % 10) as i16),
                    desil_kabupaten_kota: Some((1 + fid % 10) as i16),
                    status_kelengkapan: Some(
                        if fid % 7 == 0 {
                            "tidak_lengkap"
                        } else {
                            "lengkap"
                        }
                        .into(),
                    ),
                    attrs: None,
                });
                fid += 1;
            }
            id += 1;
        }
        let last = k + 1 == plan.len();
        if flush(persons.len()) || last {
            let t = std::time::Instant::now();
            store
                .bulk_persons(&persons)
                .await
                .context("loading persons")?;
            t_persons += t.elapsed().as_secs_f64();
            let t = std::time::Instant::now();
            store
                .bulk_families(&families)
                .await
                .context("loading families")?;
            t_families += t.elapsed().as_secs_f64();
            let t = std::time::Instant::now();
            store
                .add_snapshot_families("BENCH", &snap)
                .await
                .context("loading snapshot families")?;
            t_snap += t.elapsed().as_secs_f64();
            persons.clear();
            families.clear();
            snap.clear();
        }
    }
    let t = std::time::Instant::now();
    let built = store.end_bulk().await.context("building the indexes")?;
    let wall = t.elapsed().as_secs_f64();
    // Builds run two at a time: each table is charged its share of the wall time.
    let busy: f64 = built.iter().map(|(_, s)| s).sum();
    let index_secs = |table: &str| {
        built
            .iter()
            .filter(|(t, _)| t == table)
            .map(|(_, s)| s * wall / busy.max(1e-9))
            .sum::<f64>()
    };
    t_persons += index_secs("persons");
    t_families += index_secs("families");
    t_snap += index_secs("snapshot_families");
    let indexes = if built.is_empty() {
        "kept during the load".to_string()
    } else {
        format!(
            "{wall:.1} s in all ({})",
            built
                .iter()
                .filter(|(_, s)| *s >= 0.05)
                .map(|(t, s)| format!("{t} {s:.1}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    store
        .publish_snapshot("BENCH")
        .await
        .context("publishing")?;
    // Dashboard aggregates at each level, the median of three runs after one warm-up.
    let mut levels = vec![code];
    for level in [
        dtsen_core::Level::Regency,
        dtsen_core::Level::District,
        dtsen_core::Level::Village,
    ] {
        if let Some(first) = regions.within(code, level).first() {
            if level > code.level() {
                levels.push(first.code);
            }
        }
    }
    let mut query_rows = Vec::new();
    for r in levels {
        store
            .region_aggregate("BENCH", r)
            .await
            .context("aggregate")?;
        let mut times = Vec::new();
        let mut agg = None;
        for _ in 0..3 {
            let t = std::time::Instant::now();
            agg = Some(
                store
                    .region_aggregate("BENCH", r)
                    .await
                    .context("aggregate")?,
            );
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        let name = regions.get(r).map(|x| x.name.clone()).unwrap_or_default();
        let a = agg.unwrap_or_default();
        query_rows.push(format!(
            "{} {name} ({:?}): {:.1} ms ({} families, {} registered)",
            r,
            r.level(),
            times[1],
            a.families,
            a.registered
        ));
    }
    let backend = format!("{:?}", store.backend());
    let row = format!(
        "| {backend} | {region} | {total} | **{:.0}** | {:.0} | {:.0} | {indexes} | {} |",
        total as f64 / t_persons.max(1e-9),
        fid as f64 / t_families.max(1e-9),
        fid as f64 / t_snap.max(1e-9),
        query_rows.join("; "),
    );
    eprintln!("{row}");
    // Keep the other backend's row: one line per backend in the section.
    let text = std::fs::read_to_string(file).unwrap_or_default();
    let mut rows: Vec<String> = text
        .lines()
        .skip_while(|l| !l.starts_with("<!-- bench:store:begin"))
        .take_while(|l| !l.starts_with("<!-- bench:store:end"))
        .filter(|l| {
            l.starts_with("| ")
                && !l.starts_with("| backend")
                && !l.starts_with(&format!("| {backend} "))
        })
        .map(String::from)
        .collect();
    rows.push(row);
    rows.sort();
    let section = format!(
        "Measured {} on {} (`dtsen bench store --db URL --region {region}`; PostgreSQL 15 in a throwaway \
         cluster with fsync off, as the tests use it).\n\n\
         | backend | region | persons | persons/s (bulk) | families/s | snapshot families/s | indexes built after the load (wall; per table: seconds of building, two at a time on PostgreSQL), included in the rates | dashboard aggregate (median of 3) |\n\
         |---|---|---:|---:|---:|---:|---|---|\n{}\n",
        crate::today(),
        machine(),
        rows.join("\n")
    );
    update_section(file, "store", &section)?;
    println!("{section}");
    Ok(())
}
