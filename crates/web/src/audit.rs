//! The audit log (*log akses*): every read of a person's record by an official, every login,
//! append-only and chained.
//!
//! Each entry's hash is SHA-256 over the previous entry's hash and the entry's own fields (a
//! JSON array, so no field can run into the next). Removing, reordering or editing an entry
//! breaks every hash after it; [`verify`] walks the chain. The database refuses UPDATE and
//! DELETE on the table as well.
//!
//! Writes go through one task that commits entries in groups (group commit): a request that
//! reads a record waits until its entry is committed, so a page is never shown without its
//! entry, and 200 concurrent readers cost one transaction per group, not one each.

use dtsen_store::{AuditRow, Store};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// What a request asks to be logged.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The account.
    pub user_id: Option<i64>,
    /// Login name.
    pub username: String,
    /// Role key.
    pub role: String,
    /// `family.view`, `search.nik`, `login`, ...
    pub action: String,
    /// What was read or done.
    pub object: String,
    /// The region of what was read.
    pub region: Option<String>,
    /// Client address.
    pub address: Option<String>,
}

/// The hash of the entry before the first.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The chained hash of an entry.
pub fn entry_hash(r: &AuditRow) -> String {
    let fields = serde_json::json!([
        r.prev_hash,
        r.seq,
        r.at,
        r.user_id,
        r.username,
        r.role,
        r.action,
        r.object,
        r.region,
        r.address
    ]);
    crate::auth::sha256_hex(fields.to_string().as_bytes())
}

/// How long the writer gathers entries before committing them together.
pub const GROUP_WINDOW: std::time::Duration = std::time::Duration::from_millis(5);

type Job = (Entry, oneshot::Sender<Result<i64, String>>);

/// The handle requests log through.
#[derive(Clone)]
pub struct AuditLog {
    tx: mpsc::Sender<Job>,
}

impl AuditLog {
    /// Starts the writer task on the current runtime.
    pub fn start(store: Arc<dyn Store>) -> AuditLog {
        let (tx, rx) = mpsc::channel::<Job>(4096);
        tokio::spawn(writer(store, rx));
        AuditLog { tx }
    }

    /// Logs an entry and waits until it is committed; returns its sequence number.
    pub async fn log(&self, e: Entry) -> Result<i64, String> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send((e, tx))
            .await
            .map_err(|_| "the audit log writer has stopped".to_string())?;
        rx.await
            .map_err(|_| "the audit log writer has stopped".to_string())?
    }
}

async fn writer(store: Arc<dyn Store>, mut rx: mpsc::Receiver<Job>) {
    let mut tail: Option<(i64, String)> = None;
    let mut batch: Vec<Job> = Vec::with_capacity(1024);
    while let Some(first) = rx.recv().await {
        batch.push(first);
        // Collect for a few milliseconds: every commit to the database file makes each reader
        // connection drop its page cache (SQLite's WAL change check), so fewer, larger commits
        // keep the readers fast under load. A request waits at most this long for its entry.
        let deadline = tokio::time::Instant::now() + GROUP_WINDOW;
        while batch.len() < 1024 {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(j)) => batch.push(j),
                _ => break,
            }
        }
        let mut result = Err(String::new());
        // A second try re-reads the tail: another process may have appended meanwhile.
        for _ in 0..2 {
            if tail.is_none() {
                match store.audit_tail().await {
                    Ok(t) => tail = Some(t.unwrap_or((0, GENESIS.to_string()))),
                    Err(e) => {
                        result = Err(format!("reading the audit log: {e}"));
                        continue;
                    }
                }
            }
            let (mut seq, mut prev) = tail.clone().unwrap_or((0, GENESIS.to_string()));
            let now = now_millis();
            let rows: Vec<AuditRow> = batch
                .iter()
                .map(|(e, _)| {
                    seq += 1;
                    let mut r = AuditRow {
                        seq,
                        at: now,
                        user_id: e.user_id,
                        username: e.username.clone(),
                        role: e.role.clone(),
                        action: e.action.clone(),
                        object: e.object.clone(),
                        region: e.region.clone(),
                        address: e.address.clone(),
                        prev_hash: prev.clone(),
                        hash: String::new(),
                    };
                    r.hash = entry_hash(&r);
                    prev = r.hash.clone();
                    r
                })
                .collect();
            match store.audit_append(&rows).await {
                Ok(()) => {
                    tail = Some((seq, prev));
                    result = Ok(rows.first().map(|r| r.seq).unwrap_or(0));
                    break;
                }
                Err(e) => {
                    tail = None;
                    result = Err(format!("writing the audit log: {e}"));
                }
            }
        }
        for (i, (_, ack)) in batch.drain(..).enumerate() {
            let _ = ack.send(result.clone().map(|first| first + i as i64));
        }
    }
}

/// Milliseconds since the epoch.
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The outcome of walking the chain.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Verification {
    /// Entries checked.
    pub entries: i64,
    /// The first entry that does not chain (its sequence number), if any.
    pub broken_at: Option<i64>,
    /// Why it does not.
    pub reason: Option<String>,
}

/// Walks the whole chain from the first entry.
pub async fn verify(store: &dyn Store) -> dtsen_store::Result<Verification> {
    let mut prev = GENESIS.to_string();
    let mut expect = 1i64;
    let mut after = 0i64;
    loop {
        let rows = store.audit_after(after, 10_000).await?;
        if rows.is_empty() {
            return Ok(Verification {
                entries: expect - 1,
                broken_at: None,
                reason: None,
            });
        }
        for r in &rows {
            let broken = if r.seq != expect {
                Some(format!("entry {expect} is missing (next is {})", r.seq))
            } else if r.prev_hash != prev {
                Some("does not name the hash of the entry before it".to_string())
            } else if entry_hash(r) != r.hash {
                Some("its content does not match its hash (changed after writing)".to_string())
            } else {
                None
            };
            if let Some(reason) = broken {
                return Ok(Verification {
                    entries: expect - 1,
                    broken_at: Some(r.seq),
                    reason: Some(reason),
                });
            }
            prev = r.hash.clone();
            expect += 1;
            after = r.seq;
        }
    }
}
