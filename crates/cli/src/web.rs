//! `dtsen serve`, `dtsen user`, `dtsen audit`: the web platform and its accounts.

use anyhow::{bail, Context, Result};
use dtsen_web::auth::Role;
use std::net::SocketAddr;
use std::path::PathBuf;

/// `dtsen serve`.
#[derive(clap::Args)]
pub(crate) struct ServeArgs {
    /// Database URL: sqlite://PATH or postgres://...
    #[arg(long, env = "DTSEN_DB", default_value = "sqlite://dtsen.db")]
    pub db: String,
    /// Address to listen on.
    #[arg(long, env = "DTSEN_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// The ranking model (`dtsen rank fit`), to explain deciles on family pages.
    #[arg(long, env = "DTSEN_MODEL")]
    pub model: Option<PathBuf>,
    /// Mark cookies Secure (when served behind HTTPS).
    #[arg(long, env = "DTSEN_SECURE_COOKIES")]
    pub secure_cookies: bool,
}

/// `dtsen user`.
#[derive(clap::Subcommand)]
pub(crate) enum UserCmd {
    /// Create an account. The password is read from DTSEN_PASSWORD or standard input.
    Add {
        /// Login name.
        username: String,
        /// Role: operator_desa, pendamping, operator_kabkota, verifikator_kabkota,
        /// pimpinan_daerah, provinsi, kemensos, bps, auditor, admin.
        #[arg(long)]
        role: String,
        /// Region the account is bound to (35.71.01.1001, 35.71.01, 35.71, 35); omit for the
        /// whole country (kemensos, bps, auditor, admin only).
        #[arg(long, default_value = "")]
        region: String,
        /// Full name shown on pages.
        #[arg(long)]
        name: Option<String>,
        /// Database URL.
        #[arg(long, env = "DTSEN_DB", default_value = "sqlite://dtsen.db")]
        db: String,
    },
    /// List accounts.
    List {
        /// Database URL.
        #[arg(long, env = "DTSEN_DB", default_value = "sqlite://dtsen.db")]
        db: String,
    },
}

/// `dtsen audit`.
#[derive(clap::Subcommand)]
pub(crate) enum AuditCmd {
    /// Walk the access log's hash chain and say whether it is intact.
    Verify {
        /// Database URL.
        #[arg(long, env = "DTSEN_DB", default_value = "sqlite://dtsen.db")]
        db: String,
    },
}

pub(crate) async fn open(db: &str) -> Result<std::sync::Arc<dyn dtsen_store::Store>> {
    let store = dtsen_store::open(db)
        .await
        .with_context(|| format!("opening {db}"))?;
    store
        .migrate()
        .await
        .with_context(|| format!("migrating {db}"))?;
    Ok(store)
}

pub(crate) fn serve(a: ServeArgs) -> Result<()> {
    let model = match &a.model {
        Some(p) => Some(crate::rank::load_model(p)?),
        None => None,
    };
    crate::runtime()?.block_on(async {
        let store = open(&a.db).await?;
        if store.users().await?.is_empty() {
            eprintln!(
                "No account exists yet: create the first administrator with\n  dtsen user add admin --role admin --db {}",
                a.db
            );
        }
        let app = dtsen_web::app(
            store,
            model,
            dtsen_web::Settings {
                secure_cookies: a.secure_cookies,
                ..Default::default()
            },
        )?;
        println!("Serving DTSEN on http://{} (Ctrl-C stops)", a.addr);
        dtsen_web::serve(app, a.addr)
            .await
            .with_context(|| format!("serving on {}", a.addr))
    })
}

pub(crate) fn user(cmd: UserCmd) -> Result<()> {
    let rt = crate::runtime()?;
    match cmd {
        UserCmd::Add {
            username,
            role,
            region,
            name,
            db,
        } => {
            let Some(role) = Role::from_key(&role) else {
                let keys: Vec<&str> = Role::ALL.iter().map(|r| r.key()).collect();
                bail!("unknown role '{role}': one of {}", keys.join(", "));
            };
            let password = match std::env::var("DTSEN_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    eprintln!("Password for {username} (one line on standard input):");
                    let mut line = String::new();
                    std::io::stdin()
                        .read_line(&mut line)
                        .context("reading the password from standard input")?;
                    line.trim_end_matches(['\r', '\n']).to_string()
                }
            };
            rt.block_on(async {
                let store = open(&db).await?;
                let id = dtsen_web::create_user(
                    store.as_ref(),
                    &username,
                    name.as_deref().unwrap_or(&username),
                    role,
                    &region,
                    &password,
                )
                .await?;
                println!("account {username} (id {id}) created: {}", role.key());
                anyhow::Ok(())
            })
        }
        UserCmd::List { db } => rt.block_on(async {
            let store = open(&db).await?;
            for u in store.users().await? {
                println!(
                    "{:<24} {:<20} {:<12} {}",
                    u.username,
                    u.role,
                    if u.region.is_empty() {
                        "(nasional)"
                    } else {
                        &u.region
                    },
                    u.display_name
                );
            }
            anyhow::Ok(())
        }),
    }
}

pub(crate) fn audit(cmd: AuditCmd) -> Result<()> {
    match cmd {
        AuditCmd::Verify { db } => crate::runtime()?.block_on(async {
            let store = open(&db).await?;
            let v = dtsen_web::audit::verify(store.as_ref()).await?;
            match v.broken_at {
                None => {
                    println!("access log intact: {} entries chain", v.entries);
                    Ok(())
                }
                Some(at) => bail!(
                    "access log broken at entry {at}: {} ({} entries before it chain)",
                    v.reason.unwrap_or_default(),
                    v.entries
                ),
            }
        }),
    }
}

/// The demo's accounts: one per role, bound to Kota Kediri's regions. Returns
/// (username, password, role, region) for printing.
pub(crate) fn demo_accounts(db: &str) -> Result<Vec<(String, String, Role, String)>> {
    let regions = dtsen_core::RegionTable::official();
    let kediri = dtsen_core::RegionCode::parse("35.71").context("region code")?;
    let district = regions
        .within(kediri, dtsen_core::Level::District)
        .first()
        .map(|r| r.code)
        .context("Kota Kediri has no district in the region table")?;
    let village = regions
        .within(district, dtsen_core::Level::Village)
        .first()
        .map(|r| r.code)
        .context("the district has no village in the region table")?;
    let region_of = |role: Role| -> String {
        match role.level() {
            Some(dtsen_core::Level::Village) => village.to_string(),
            Some(dtsen_core::Level::District) => district.to_string(),
            Some(dtsen_core::Level::Regency) => kediri.to_string(),
            Some(dtsen_core::Level::Province) => "35".to_string(),
            None => String::new(),
        }
    };
    crate::runtime()?.block_on(async {
        let store = open(db).await?;
        let mut out = Vec::new();
        for role in Role::ALL {
            let username = format!("demo.{}", role.key());
            // A demo password: readable, different per role, strong enough for the check. The
            // demo database is local and thrown away; never reuse these.
            let password = format!("Demo-{}-2026", role.key().replace('_', "-"));
            let region = region_of(role);
            if store.user_by_name(&username).await?.is_none() {
                dtsen_web::create_user(
                    store.as_ref(),
                    &username,
                    &format!("Demo {}", role.label(dtsen_core::Lang::Id)),
                    role,
                    &region,
                    &password,
                )
                .await?;
            }
            out.push((username, password, role, region));
        }
        anyhow::Ok(out)
    })
}
