//! `dtsen`: the command line of the DTSEN registry. Thin: it parses arguments into validated
//! values, calls the crates, and prints for people (or JSON with `--json`).

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use dtsen_core::{Date, Nik, RegionCode, RegionTable};
use dtsen_synth::{Config, Progress};
use std::io::IsTerminal;
use std::path::PathBuf;

/// mimalloc instead of the system allocator: the web server and the batch engine allocate
/// from many threads at once, where glibc's malloc spent a quarter of the family page's time
/// (measured with perf under load; BENCHMARKS.md, "Web").
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod bench;
mod consolidate;
mod link;
mod rank;
mod web;

#[derive(Parser)]
#[command(
    name = "dtsen",
    version,
    about = "DTSEN: Indonesia's single socio-economic registry, open source"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate synthetic sources (SIAK, Regsosek, DTKS, P3KE, supporting lists, Susenas) with ground truth.
    Generate(GenerateArgs),
    /// Read source files into validated, standardised records; rejects and a report beside them.
    Ingest(IngestArgs),
    /// Create or update the registry database schema.
    Migrate {
        /// Database URL: sqlite://PATH or postgres://...
        #[arg(long, env = "DTSEN_DB", default_value = "sqlite://dtsen.db")]
        db: String,
    },
    /// Copy a SQLite registry to a file while it may be in use (a consistent snapshot).
    Backup {
        /// The SQLite database (sqlite://PATH).
        #[arg(long, env = "DTSEN_DB", default_value = "sqlite://dtsen.db")]
        db: String,
        /// The backup file to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Restore a SQLite registry from a backup file (the server must be stopped).
    Restore {
        /// The backup file.
        #[arg(long)]
        from: PathBuf,
        /// The SQLite database to replace (sqlite://PATH).
        #[arg(long, env = "DTSEN_DB", default_value = "sqlite://dtsen.db")]
        db: String,
    },
    /// Run the whole path on the embedded default: generate Kota Kediri, ingest, match,
    /// consolidate, rank, export, create one demo account per role, and serve the web platform.
    Demo {
        /// Where to write the demo data.
        #[arg(long, env = "DTSEN_DEMO_DIR", default_value = "dtsen-demo")]
        dir: PathBuf,
        /// Address the web platform listens on.
        #[arg(long, env = "DTSEN_ADDR", default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
        /// Stop after the data and the accounts are ready (do not serve).
        #[arg(long)]
        no_serve: bool,
    },
    /// Publish a snapshot: from then on it never changes, and its dashboard figures are fixed.
    Publish {
        /// Snapshot id (2026Q3).
        #[arg(long)]
        snapshot: String,
        /// Database URL: sqlite://PATH or postgres://...
        #[arg(long, env = "DTSEN_DB", default_value = "sqlite://dtsen.db")]
        db: String,
    },
    /// Serve the web platform (pages and JSON API) over a registry.
    Serve(web::ServeArgs),
    /// Manage the accounts of officials.
    #[command(subcommand)]
    User(web::UserCmd),
    /// Check the access log.
    #[command(subcommand)]
    Audit(web::AuditCmd),
    /// Look up a region by code or name in the official table.
    Region {
        /// A code (35.71, 3571011001) or a name (Kediri, "KOTA KEDIRI").
        query: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Measure and record performance figures in BENCHMARKS.md.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Record linkage (pemadanan): match records of one person within and across sources.
    #[command(subcommand)]
    Link(link::LinkCommand),
    /// Consolidate the sources into a registry snapshot: match, validate against SIAK, golden
    /// records, return files, completeness, report.
    Consolidate(consolidate::ConsolidateArgs),
    /// Welfare ranking: fit the proxy-means test, evaluate, score a snapshot, explain a family.
    #[command(subcommand)]
    Rank(rank::RankCommand),
    /// Write a snapshot's DTSEN export (keluarga_dtsen_<S>.csv, anggota_dtsen_<S>.csv).
    Export(consolidate::ExportArgs),
    /// Check a NIK and show what it encodes.
    Nik {
        /// The NIK (spaces, dots and dashes are ignored).
        nik: String,
        /// Reference date for the century of the birth year (YYYY-MM-DD); default today.
        #[arg(long)]
        on: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(clap::Args)]
struct IngestArgs {
    /// Directory holding the source files (siak_penduduk.csv, dtks.csv, ... or .csv.gz).
    #[arg(long, env = "DTSEN_SOURCES", default_value = "sources")]
    sources: PathBuf,
    /// Output directory (persons.tsv, families.tsv, lists.tsv, survey.tsv, rejects.csv, ingest-report.json).
    #[arg(long, env = "DTSEN_INGEST_OUT", default_value = "ingested")]
    out: PathBuf,
    /// Date the data is read against (NIK centuries, future dates, ages), YYYY-MM-DD; default today.
    #[arg(long, env = "DTSEN_AS_OF")]
    as_of: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct GenerateArgs {
    /// Region code or name (35.71, 3571, "Kota Kediri"), or `all` for the whole country.
    #[arg(long, env = "DTSEN_REGION", default_value = "35.71")]
    region: String,
    /// Total persons to generate (rescales the real population of the region).
    #[arg(long, env = "DTSEN_PERSONS")]
    persons: Option<u64>,
    /// Random seed: the same seed and options give byte-identical files.
    #[arg(long, env = "DTSEN_SEED", default_value_t = 7)]
    seed: u64,
    /// Output directory.
    #[arg(long, env = "DTSEN_OUT", default_value = "sources")]
    out: PathBuf,
    /// Date the civil-registry extract speaks of (YYYY-MM-DD).
    #[arg(long, env = "DTSEN_AS_OF", default_value = "2026-09-30")]
    as_of: String,
    /// Set an error rate, e.g. `--rate nik_typo=0.02` (repeatable). `--rate list=0` lists them.
    #[arg(long = "rate", value_name = "NAME=VALUE")]
    rates: Vec<String>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// `mi_option_purge_delay` in mimalloc's `mi_option_t` (include/mimalloc.h; 15 in both the v2
/// and the v3 headers, v3 being the one built).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
/// `mi_option_allow_thp` in the v3 header (the one built; 37 in v2), checked by compiling
/// against the header.
const MI_OPTION_ALLOW_THP: libmimalloc_sys::mi_option_t = 43;

/// From now on, gives freed memory back to the system at once (`main` keeps it for reuse),
/// and gives back what is free now: for a run whose point is a small footprint (`dtsen link
/// run --partition-by`), at the price of faults when memory is touched again (+28% of the
/// wall time at 5.4M records on this VM; BENCHMARKS.md).
pub(crate) fn release_free_memory() {
    // SAFETY: an allocator option (an integer) and a collection without arguments; mimalloc's
    // options and collection are thread-safe.
    #[allow(unsafe_code)]
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0);
        libmimalloc_sys::mi_collect(true);
    }
}

fn main() -> Result<()> {
    // mimalloc gives freed memory back to the OS 10 ms after it is freed. On a VM whose host
    // reclaims the guest's free memory, touching it again costs a fault per page: system time
    // was a third of `dtsen link`'s CPU at 5.4M records, and every batch step frees and
    // reallocates the same few gigabytes within seconds. Keep freed memory for reuse (the
    // process's footprint stays at its peak, which it reaches anyway); measured in
    // BENCHMARKS.md ("Matching engine").
    //
    // No transparent huge pages either: a huge page is zeroed whole on its first touch, and
    // on such a host that first touch is what a run pays for. mimalloc's option covers the
    // arenas reserved after `main`; its first arena (1 GiB) is reserved at the first
    // allocation, before `main`, so `PR_SET_THP_DISABLE` turns huge pages off for every
    // mapping of the process at fault time (inherited by children). Kota Kediri's ingest:
    // system time 0.21–0.26 s instead of 0.53–0.62 s, peak 140 MB instead of 183–194 MB;
    // linking 5.4M records: the same wall time within the host's noise (less system time,
    // more TLB misses), 60–100 MB less peak memory (BENCHMARKS.md).
    // SAFETY: plain setters of allocator options (integers) and a process flag, called before
    // any thread is started; the only unsafe code in the workspace.
    #[allow(unsafe_code)]
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1);
        libmimalloc_sys::mi_option_set(MI_OPTION_ALLOW_THP, 0);
        #[cfg(target_os = "linux")]
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    };
    let cli = Cli::parse();
    // `dtsen … | head`: when the reader of stdout goes away, the next `println!` panics
    // ("failed printing to stdout: Broken pipe"). That is no fault of the command: nothing is
    // said, the stack unwinds (files being written are flushed and closed), and the process
    // leaves with the status of one stopped by SIGPIPE, as `cat` or `grep` would. Only the
    // main thread's print is caught below; a panic in any other thread is reported as ever.
    let default_hook = std::panic::take_hook();
    let main_thread = std::thread::current().id();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().id() == main_thread
            && info.payload_as_str().is_some_and(|m| {
                m.starts_with("failed printing to stdout") && m.contains("Broken pipe")
            })
        {
            STDOUT_CLOSED.store(true, std::sync::atomic::Ordering::SeqCst);
            return;
        }
        default_hook(info)
    }));
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(cli))) {
        Ok(result) => result,
        Err(_) if STDOUT_CLOSED.load(std::sync::atomic::Ordering::SeqCst) => {
            std::process::exit(128 + 13)
        }
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// Set when printing failed because stdout was closed (see `main`).
static STDOUT_CLOSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Runs the command given.
fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Generate(args) => generate(args),
        Command::Ingest(args) => ingest(args),
        Command::Migrate { db } => runtime()?.block_on(migrate(&db)),
        Command::Backup { db, out } => runtime()?.block_on(backup(&db, &out)),
        Command::Restore { from, db } => restore(&from, &db),
        Command::Demo {
            dir,
            addr,
            no_serve,
        } => demo(dir, addr, no_serve),
        Command::Publish { snapshot, db } => runtime()?.block_on(async {
            let store = dtsen_store::open(&db)
                .await
                .with_context(|| format!("opening {db}"))?;
            store
                .publish_snapshot(&snapshot)
                .await
                .with_context(|| format!("publishing snapshot {snapshot}"))?;
            println!("snapshot {snapshot} published: it can no longer change");
            anyhow::Ok(())
        }),
        Command::Serve(args) => web::serve(args),
        Command::User(cmd) => web::user(cmd),
        Command::Audit(cmd) => web::audit(cmd),
        Command::Region { query, json } => region(&query, json),
        Command::Bench(cmd) => bench::run(cmd),
        Command::Link(cmd) => link::run(cmd),
        Command::Consolidate(args) => consolidate::consolidate(args).map(|_| ()),
        Command::Export(args) => consolidate::export(args),
        Command::Rank(cmd) => rank::run(cmd),
        Command::Nik {
            nik: text,
            on,
            json,
        } => nik(&text, on.as_deref(), json),
    }
}

/// Resolves `all`, a code or a name to a region (None = the whole country).
fn resolve_region(text: &str) -> Result<Option<RegionCode>> {
    let regions = RegionTable::official();
    if text.eq_ignore_ascii_case("all") {
        return Ok(None);
    }
    if let Ok(code) = RegionCode::parse(text) {
        if regions.contains(code) {
            return Ok(Some(code));
        }
        bail!("region code {code} is not in the official table; try `dtsen region <name>`");
    }
    let found = regions.find_by_name(text);
    match found.as_slice() {
        [one] => Ok(Some(one.code)),
        [] => bail!(
            "no region is named '{text}'; give a code such as 35.71 or try `dtsen region <name>`"
        ),
        many => {
            let list: Vec<String> = many
                .iter()
                .map(|r| format!("{} {}", r.code, r.name))
                .collect();
            bail!(
                "'{text}' names several regions: {}; give the code",
                list.join(", ")
            )
        }
    }
}

fn parse_date(text: &str, what: &str) -> Result<Date> {
    Date::parse_iso(text).with_context(|| format!("{what} '{text}' is not a date YYYY-MM-DD"))
}

fn generate(args: GenerateArgs) -> Result<()> {
    let mut cfg = Config {
        seed: args.seed,
        persons: args.persons,
        ..Config::default()
    };
    cfg.as_of = parse_date(&args.as_of, "--as-of")?;
    for r in &args.rates {
        let (name, value) = r
            .split_once('=')
            .with_context(|| format!("--rate '{r}' is not NAME=VALUE"))?;
        if name == "list" {
            println!("{}", dtsen_synth::Rates::NAMES.join("\n"));
            return Ok(());
        }
        let value: f64 = value
            .parse()
            .with_context(|| format!("--rate {name}: '{value}' is not a number"))?;
        cfg.rates.set(name, value).map_err(anyhow::Error::msg)?;
    }
    let region = resolve_region(&args.region)?;
    let label = region
        .and_then(|r| {
            RegionTable::official()
                .get(r)
                .map(|x| format!("{} {}", r, x.name))
        })
        .unwrap_or_else(|| "Indonesia".to_owned());
    let tty = std::io::stderr().is_terminal();
    if tty {
        eprintln!(
            "Generating {label} (seed {}) into {}",
            cfg.seed,
            args.out.display()
        );
    }
    let report = dtsen_synth::generate(&cfg, region, &args.out, |p: &Progress| {
        if tty {
            let rate = p.persons as f64 / p.elapsed.as_secs_f64().max(1e-9);
            let eta = (p.planned.saturating_sub(p.persons)) as f64 / rate.max(1.0);
            eprint!(
                "\r{:>12} / {} persons  {:>9.0} persons/s  ETA {:>5.0} s ",
                p.persons, p.planned, rate, eta
            );
        }
    })
    .with_context(|| format!("generating {label}"))?;
    if tty {
        eprintln!();
    }
    let secs = report.elapsed.as_secs_f64();
    if args.json {
        let rows: serde_json::Map<String, serde_json::Value> = report
            .rows
            .iter()
            .map(|(k, v)| (k.clone(), (*v).into()))
            .collect();
        let v = serde_json::json!({
            "region": region.map(|r| r.to_string()), "seed": cfg.seed, "out": args.out,
            "persons": report.persons, "families": report.families, "villages": report.villages,
            "rows": rows, "bytes": report.bytes, "seconds": secs,
            "persons_per_second": report.persons as f64 / secs.max(1e-9),
            "peak_rss_bytes": bench::peak_rss_bytes(),
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!(
            "{label}: {} persons in {} families, {} villages",
            report.persons, report.families, report.villages
        );
        for (file, rows) in &report.rows {
            println!("  {file:<24} {rows:>12} rows");
        }
        println!(
            "{:.1} MB in {:.2} s ({:.0} persons/s) -> {}",
            report.bytes as f64 / 1e6,
            secs,
            report.persons as f64 / secs.max(1e-9),
            args.out.display()
        );
    }
    Ok(())
}

fn ingest(args: IngestArgs) -> Result<()> {
    let as_of = match &args.as_of {
        Some(d) => parse_date(d, "--as-of")?,
        None => today(),
    };
    let opts = dtsen_ingest::Options {
        as_of,
        ..Default::default()
    };
    let tty = std::io::stderr().is_terminal();
    let mut last_log = std::time::Instant::now();
    let report = dtsen_ingest::ingest(&args.sources, &args.out, &opts, |p| {
        let rate = p.records as f64 / p.elapsed.as_secs_f64().max(1e-9);
        if tty {
            let share = p
                .size
                .map(|s| format!(" {:>3.0}%", 100.0 * p.bytes as f64 / s.max(1) as f64))
                .unwrap_or_default();
            eprint!(
                "\r{:<18} {:>11} records{share}  {:>9.0} records/s   ",
                p.source, p.records, rate
            );
        } else if last_log.elapsed().as_secs() >= 10 {
            last_log = std::time::Instant::now();
            eprintln!(
                "{{\"event\":\"ingest_progress\",\"source\":\"{}\",\"records\":{},\"bytes\":{}}}",
                p.source, p.records, p.bytes
            );
        }
    })
    .with_context(|| format!("ingesting {}", args.sources.display()))?;
    if tty {
        eprintln!();
    }
    if args.json {
        let mut v = report.to_json(as_of);
        v["peak_rss_bytes"] = bench::peak_rss_bytes().into();
        v["cpu_seconds"] = bench::cpu_seconds().into();
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!(
            "{:<18} {:>10} {:>10} {:>10}  status",
            "source", "read", "accepted", "rejected"
        );
        for s in &report.sources {
            println!(
                "{:<18} {:>10} {:>10} {:>10}  {}",
                s.key, s.read, s.accepted, s.rejected, s.status
            );
            for m in &s.message {
                println!("{:<18} {m}", "");
            }
        }
        let secs = report.elapsed.as_secs_f64().max(1e-9);
        println!(
            "{:.1} MB, {} records in {:.2} s ({:.0} MB/s, {:.0} records/s) -> {}",
            report.bytes() as f64 / 1e6,
            report.read(),
            secs,
            report.bytes() as f64 / 1e6 / secs,
            report.read() as f64 / secs,
            args.out.display()
        );
    }
    let bad = report.unreadable();
    if !bad.is_empty() {
        let list: Vec<String> = bad
            .iter()
            .map(|s| format!("{}: {}", s.key, s.message.join("; ")))
            .collect();
        bail!(
            "{} source file(s) could not be read:\n  {}",
            bad.len(),
            list.join("\n  ")
        );
    }
    Ok(())
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

async fn migrate(db: &str) -> Result<()> {
    let store = web::open(db).await?;
    let n = store
        .load_regions(RegionTable::official())
        .await
        .context("loading the region table")?;
    println!(
        "{db}: schema up to date ({:?}), {n} regions loaded",
        store.backend()
    );
    Ok(())
}

fn sqlite_path(db: &str) -> Result<&str> {
    db.strip_prefix("sqlite://").with_context(|| {
        format!("{db} is not a SQLite URL; for PostgreSQL use pg_dump/pg_restore (see ARCHITECTURE.md, Store)")
    })
}

async fn backup(db: &str, out: &std::path::Path) -> Result<()> {
    let path = sqlite_path(db)?;
    dtsen_store::backup_sqlite(path, out)
        .await
        .with_context(|| format!("backing up {db} to {}", out.display()))?;
    println!("{db} copied to {}", out.display());
    Ok(())
}

fn restore(from: &std::path::Path, db: &str) -> Result<()> {
    let path = sqlite_path(db)?;
    if !from.exists() {
        bail!("backup file {} does not exist", from.display());
    }
    // Replace the file and drop the old write-ahead log, which belongs to the old database.
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{path}{suffix}"));
    }
    std::fs::copy(from, path).with_context(|| format!("copying {} over {path}", from.display()))?;
    // The access log, from its file beside the backup.
    let from_audit = dtsen_store::sqlite_audit_path(&from.to_string_lossy());
    if std::path::Path::new(&from_audit).exists() {
        let to_audit = dtsen_store::sqlite_audit_path(path);
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{to_audit}{suffix}"));
        }
        std::fs::copy(&from_audit, &to_audit)
            .with_context(|| format!("copying {from_audit} over {to_audit}"))?;
    }
    println!("{db} restored from {}", from.display());
    Ok(())
}

fn demo(dir: PathBuf, addr: std::net::SocketAddr, no_serve: bool) -> Result<()> {
    println!("DTSEN demo: Kota Kediri (35.71), seed 7.");
    println!(
        "The demo generates the regency's sources with ground truth, ingests, matches and consolidates them"
    );
    println!(
        "into a snapshot, ranks it, exports it, creates one account per role and serves the web platform.\n"
    );
    generate(GenerateArgs {
        region: "35.71".into(),
        persons: None,
        seed: 7,
        out: dir.join("sources"),
        as_of: "2026-09-30".into(),
        rates: Vec::new(),
        json: false,
    })?;
    println!();
    ingest(IngestArgs {
        sources: dir.join("sources"),
        out: dir.join("ingested"),
        as_of: Some("2026-09-30".into()),
        json: false,
    })?;
    println!(
        "\nRejected rows with their reasons: {}",
        dir.join("ingested").join("rejects.csv").display()
    );
    println!();
    consolidate::demo(&dir)?;
    let db = format!("sqlite://{}", dir.join("dtsen.db").display());
    runtime()?.block_on(async {
        let store = dtsen_store::open(&db).await?;
        store.publish_snapshot("2026Q3").await?;
        anyhow::Ok(())
    })?;
    println!("\nSnapshot 2026Q3 published: it can no longer change.");
    let accounts = web::demo_accounts(&db)?;
    println!("\nDemo accounts (one per role; local demo only, never reuse these passwords):");
    println!(
        "  {:<28} {:<26} {:<14} role",
        "username", "password", "region"
    );
    for (user, password, role, region) in &accounts {
        let region = if region.is_empty() {
            "(nasional)"
        } else {
            region
        };
        println!(
            "  {user:<28} {password:<26} {region:<14} {}",
            role.label(dtsen_core::Lang::Id)
        );
    }
    if no_serve {
        return Ok(());
    }
    println!("\nOpen http://{addr}/ and log in with an account above.");
    web::serve(web::ServeArgs {
        db,
        addr,
        model: Some(dir.join("pmt-model.json")),
        secure_cookies: false,
    })
}

fn region(query: &str, json: bool) -> Result<()> {
    let regions = RegionTable::official();
    let found: Vec<&dtsen_core::Region> = match RegionCode::parse(query) {
        Ok(code) => regions.get(code).into_iter().collect(),
        Err(_) => regions.find_by_name(query),
    };
    if found.is_empty() {
        bail!("no region matches '{query}'");
    }
    if json {
        let v: Vec<serde_json::Value> = found
            .iter()
            .map(|r| serde_json::json!({"code": r.code.to_string(), "name": r.name, "level": format!("{:?}", r.code.level()), "kind": format!("{:?}", r.code.kind())}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        for r in found {
            println!(
                "{:<14} {:<9?} {:<10?} {}",
                r.code.to_string(),
                r.code.level(),
                r.code.kind(),
                r.name
            );
        }
    }
    Ok(())
}

fn nik(text: &str, on: Option<&str>, json: bool) -> Result<()> {
    let reference = match on {
        Some(d) => parse_date(d, "--on")?,
        None => today(),
    };
    let regions = RegionTable::official();
    let n = Nik::parse(text, regions, reference)
        .with_context(|| format!("'{text}' is not a valid NIK"))?;
    let district = n
        .district()
        .and_then(|d| regions.get(d).map(|r| format!("{} {}", d, r.name)));
    let birth = n.birth_date_on(reference).map(|d| d.to_string());
    if json {
        let v = serde_json::json!({"nik": n.to_string(), "masked": n.masked(), "sex": format!("{:?}", n.sex()),
            "birth_date": birth, "district": district, "serial": n.serial()});
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!("NIK {} ({})", n, n.masked());
        println!("  sex          {:?}", n.sex());
        println!("  birth date   {}", birth.unwrap_or_default());
        println!(
            "  registered   {}",
            district.unwrap_or_else(|| "a district no longer in the current table".into())
        );
        println!("  serial       {:04}", n.serial());
    }
    Ok(())
}

/// Today's date from the system clock (UTC).
fn today() -> Date {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    Date::from_days((secs / 86_400) as i64)
}
