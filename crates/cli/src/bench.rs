//! `dtsen bench`: measures figures on this machine and writes them to BENCHMARKS.md with the
//! machine, the date and the command, so every figure in the repository can be re-measured.

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Subcommand)]
pub enum BenchCommand {
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
    }
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

fn ingest(targets: &str, seed: u64, scratch: &Path, file: &Path) -> Result<()> {
    let exe = std::env::current_exe().context("cannot find the dtsen executable")?;
    let mut rows = Vec::new();
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
        let name = dtsen_core::RegionCode::parse(target)
            .ok()
            .and_then(|c| {
                dtsen_core::RegionTable::official()
                    .get(c)
                    .map(|r| format!("{target} {}", r.name))
            })
            .unwrap_or_else(|| target.to_owned());
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
        today(),
        machine(),
        rows.join("\n")
    );
    update_section(file, "ingest", &section)?;
    println!("{section}");
    Ok(())
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

fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    dtsen_core::Date::from_days((secs / 86_400) as i64).to_string()
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
        let name = dtsen_core::RegionCode::parse(target)
            .ok()
            .and_then(|c| {
                dtsen_core::RegionTable::official()
                    .get(c)
                    .map(|r| format!("{target} {}", r.name))
            })
            .unwrap_or_else(|| target.to_owned());
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
        today(),
        machine(),
        rows.join("\n")
    );
    update_section(file, "generate", &section)?;
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
