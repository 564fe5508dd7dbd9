//! `dtsen bench`: measures figures on this machine and writes them to BENCHMARKS.md with the
//! machine, the date and the command, so every figure in the repository can be re-measured.

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Subcommand)]
pub enum BenchCommand {
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
    }
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
