//! The DTSEN web platform: server-rendered pages (minijinja, htmx for partial updates,
//! readable without JavaScript) and a JSON API over the same reads, for officials bound to a
//! role and a region.
//!
//! - [`auth`]: roles, scope, passwords (argon2id), tokens.
//! - [`data`]: the scoped query layer every read goes through (scope enforced in the SQL,
//!   identifiers masked there).
//! - [`audit`]: the append-only, hash-chained access log.
//! - `pages` and `api`: the handlers; [`router`] puts them together.

mod api;
pub mod audit;
pub mod auth;
pub mod data;
pub mod i18n;
mod pages;

use auth::{Role, Scope};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use dtsen_store::{Store, UserRow};
use i18n::Lang;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

/// Why a request could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// Not logged in.
    #[error("not logged in")]
    Unauthorized,
    /// Outside the viewer's region, or does not exist: the same answer for both.
    #[error("not found")]
    NotFound,
    /// The role does not open this.
    #[error("your role does not allow this")]
    Forbidden,
    /// Malformed request.
    #[error("{0}")]
    BadRequest(String),
    /// No snapshot to show.
    #[error("there is no snapshot in this database yet")]
    NoSnapshot,
    /// The store failed.
    #[error("database error: {0}")]
    Store(#[from] dtsen_store::StoreError),
    /// Anything else.
    #[error("{0}")]
    Internal(String),
}

impl WebError {
    fn status(&self) -> StatusCode {
        match self {
            WebError::Unauthorized => StatusCode::UNAUTHORIZED,
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::Forbidden => StatusCode::FORBIDDEN,
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::NoSnapshot => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Store(_) | WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// Settings of a server.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Mark cookies `Secure` (behind HTTPS; off for the loopback demo).
    pub secure_cookies: bool,
    /// Session length, seconds.
    pub session_seconds: i64,
    /// Failed logins before the account locks.
    pub lock_after: i64,
    /// How long it stays locked, seconds.
    pub lock_seconds: i64,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            secure_cookies: false,
            session_seconds: 8 * 3600,
            lock_after: 5,
            lock_seconds: 15 * 60,
        }
    }
}

/// What every handler shares.
pub struct AppInner {
    /// The scoped reads.
    pub registry: data::Registry,
    /// The access log.
    pub audit: audit::AuditLog,
    /// Templates.
    pub templates: minijinja::Environment<'static>,
    /// Settings.
    pub settings: Settings,
    /// A hash to verify against when the username is unknown, so a wrong name costs as much
    /// time as a wrong password.
    pub dummy_hash: String,
    /// Sessions read recently: token hash → (when read, session, account). Saves the lookup
    /// on every request; an entry is trusted for [`SESSION_CACHE_SECONDS`], and this process
    /// drops it at once on logout or password change.
    pub sessions:
        std::sync::Mutex<HashMap<String, (std::time::Instant, dtsen_store::SessionRow, UserRow)>>,
}

/// How long a session read from the store is trusted without reading it again: a session
/// ended by another process (or an account disabled) stops working within this time.
pub const SESSION_CACHE_SECONDS: u64 = 5;

impl AppInner {
    /// Forgets cached sessions: one token, or every session of an account.
    pub fn forget_sessions(&self, token_hash: Option<&str>, user_id: Option<i64>) {
        if let Ok(mut m) = self.sessions.lock() {
            m.retain(|k, (_, s, _)| {
                token_hash.is_none_or(|t| t != k) && user_id.is_none_or(|u| u != s.user_id)
            });
        }
    }
}

/// The shared state.
pub type App = Arc<AppInner>;

/// Builds the application over a store (migrated), with the ranking model if given. Must be
/// called inside a Tokio runtime (it starts the audit writer).
pub fn app(
    store: Arc<dyn Store>,
    model: Option<dtsen_rank::ModelFile>,
    settings: Settings,
) -> Result<App, WebError> {
    let audit = audit::AuditLog::start(store.clone());
    Ok(Arc::new(AppInner {
        registry: data::Registry::new(store, model),
        audit,
        templates: pages::templates()?,
        settings,
        dummy_hash: auth::hash_password("not-a-password-0").map_err(WebError::Internal)?,
        sessions: std::sync::Mutex::new(HashMap::new()),
    }))
}

/// The router: pages, API, static files.
pub fn router(app: App) -> Router {
    Router::new()
        .route("/", get(pages::home))
        .route("/masuk", get(pages::login_form).post(pages::login))
        .route("/keluar", post(pages::logout))
        .route("/bahasa/{lang}", get(pages::language))
        .route("/sandi", get(pages::password_form).post(pages::password))
        .route("/dasbor", get(pages::dashboard_own))
        .route("/wilayah/{code}", get(pages::dashboard))
        .route("/cari", get(pages::search))
        .route("/keluarga/{prov}/{id}", get(pages::family))
        .route("/keluarga/{prov}/{id}/anggota/{person}", get(pages::member))
        .route("/audit", get(pages::audit))
        .route("/pengguna", get(pages::users).post(pages::add_user))
        .route("/static/{file}", get(pages::asset))
        .route("/healthz", get(|| async { "ok" }))
        .route("/api/openapi.json", get(api::openapi))
        .route("/api/v1/session", post(api::login).delete(api::logout))
        .route("/api/v1/me", get(api::me))
        .route("/api/v1/dashboard", get(api::dashboard_own))
        .route("/api/v1/regions/{code}/dashboard", get(api::dashboard))
        .route("/api/v1/search", get(api::search))
        .route("/api/v1/families/{prov}/{id}", get(api::family))
        .route("/api/v1/audit", get(api::audit))
        .fallback(pages::not_found)
        .layer(axum::middleware::map_response(security_headers))
        .with_state(app)
}

async fn security_headers(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    r
}

/// Serves on `addr` until Ctrl-C.
pub async fn serve(app: App, addr: SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    axum::serve(
        listener,
        router(app).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}

/// A logged-in official.
#[derive(Clone, Debug)]
pub struct Viewer {
    /// The account.
    pub user: UserRow,
    /// Its role.
    pub role: Role,
    /// Its region.
    pub scope: Scope,
    /// The session's CSRF token.
    pub csrf: String,
    /// The session's token hash.
    pub token_hash: String,
}

/// What every request carries: who asks, in which language, from where.
pub struct Ctx {
    /// The official, if the session (cookie or bearer token) is live.
    pub viewer: Option<Viewer>,
    /// Page language.
    pub lang: Lang,
    /// Client address.
    pub address: Option<String>,
    /// An htmx request (answer with a fragment).
    pub htmx: bool,
    /// Request path and query.
    pub path: String,
}

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "dtsen_sesi";
/// The language cookie's name.
pub const LANG_COOKIE: &str = "bahasa";
/// The login form's CSRF cookie.
pub const LOGIN_CSRF_COOKIE: &str = "dtsen_csrf";

/// A cookie's value from the request headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Now, unix seconds.
pub fn now_secs() -> i64 {
    audit::now_millis() / 1000
}

impl FromRequestParts<App> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Ctx, Response> {
        let h = &parts.headers;
        let lang = i18n::lang_from_code(cookie(h, LANG_COOKIE));
        let address = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string());
        let token = h
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .or_else(|| cookie(h, SESSION_COOKIE));
        let mut viewer = None;
        if let Some(token) = token {
            let hash = auth::sha256_hex(token.trim().as_bytes());
            let now = now_secs();
            let cached = app.sessions.lock().ok().and_then(|m| {
                m.get(&hash)
                    .filter(|(at, s, _)| {
                        at.elapsed().as_secs() < SESSION_CACHE_SECONDS && s.expires_at > now
                    })
                    .map(|(_, s, u)| (s.clone(), u.clone()))
            });
            let found = match cached {
                Some(x) => Some(x),
                None => match app.registry.store().session(&hash, now).await {
                    Ok(found) => {
                        if let (Some((s, u)), Ok(mut m)) = (&found, app.sessions.lock()) {
                            if m.len() > 50_000 {
                                m.clear();
                            }
                            m.insert(
                                hash.clone(),
                                (std::time::Instant::now(), s.clone(), u.clone()),
                            );
                        }
                        found
                    }
                    Err(e) => {
                        return Err((
                            StatusCode::INTERNAL_SERVER_ERROR,
                            format!("session lookup: {e}"),
                        )
                            .into_response())
                    }
                },
            };
            if let Some((s, user)) = found {
                if let (Some(role), Some(scope)) =
                    (Role::from_key(&user.role), Scope::parse(&user.region))
                {
                    viewer = Some(Viewer {
                        user,
                        role,
                        scope,
                        csrf: s.csrf,
                        token_hash: hash,
                    });
                }
            }
        }
        Ok(Ctx {
            viewer,
            lang,
            address,
            htmx: h.contains_key("hx-request"),
            path: parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_else(|| "/".into()),
        })
    }
}

/// Writes an access-log entry for what the viewer is about to be shown; the page is not shown
/// if the entry cannot be written.
pub(crate) async fn log_access(
    app: &App,
    ctx: &Ctx,
    v: &Viewer,
    action: &str,
    object: String,
    region: Option<String>,
) -> Result<(), WebError> {
    app.audit
        .log(audit::Entry {
            user_id: Some(v.user.id),
            username: v.user.username.clone(),
            role: v.user.role.clone(),
            action: action.to_string(),
            object,
            region,
            address: ctx.address.clone(),
        })
        .await
        .map(|_| ())
        .map_err(WebError::Internal)
}

/// Searches within the viewer's scope and logs the search (`api` marks the JSON API's).
pub(crate) async fn logged_search(
    app: &App,
    ctx: &Ctx,
    v: &Viewer,
    query: &str,
    api: bool,
) -> Result<data::SearchView, WebError> {
    let view = app.registry.search(v, query).await?;
    if view.kind != "too_short" {
        log_access(
            app,
            ctx,
            v,
            &format!("search.{}", view.kind),
            format!(
                "q={} hits={}{}",
                view.query,
                view.hits.len(),
                if api { " (api)" } else { "" }
            ),
            v.scope.0.map(|r| r.digits()),
        )
        .await?;
    }
    Ok(view)
}

/// Reads a family within the viewer's scope and logs the view; nothing is shown unlogged.
pub(crate) async fn logged_family(
    app: &App,
    ctx: &Ctx,
    v: &Viewer,
    prov: &str,
    id: &str,
    parts: data::Parts,
) -> Result<data::FamilyView, WebError> {
    let id: i64 = id.parse().map_err(|_| WebError::NotFound)?;
    let view = app.registry.family(v, prov, id, ctx.lang, parts).await?;
    let api = parts == data::Parts::All;
    log_access(
        app,
        ctx,
        v,
        "family.view",
        format!(
            "keluarga {prov}/{id} snapshot {}{}",
            view.snapshot,
            if api { " (api)" } else { "" }
        ),
        Some(view.village.digits.clone()),
    )
    .await?;
    Ok(view)
}

/// Creates an account (the command line's `dtsen user add` and the demo): checks the role's
/// region, the password's strength, hashes it.
pub async fn create_user(
    store: &dyn Store,
    username: &str,
    display_name: &str,
    role: Role,
    region: &str,
    password: &str,
) -> Result<i64, WebError> {
    let region = region.trim();
    let scope = Scope::parse(region).ok_or_else(|| {
        WebError::BadRequest(format!(
            "region '{region}' is not a region code (35, 35.71, 35.71.01, 35.71.01.1001, or empty for the whole country)"
        ))
    })?;
    if let Some(r) = scope.0 {
        if dtsen_core::RegionTable::official().get(r).is_none() {
            return Err(WebError::BadRequest(format!(
                "region {r} is not in the official region table"
            )));
        }
    }
    auth::check_binding(role, scope).map_err(WebError::BadRequest)?;
    auth::check_password_strength(password)
        .map_err(|k| WebError::BadRequest(i18n::t(Lang::En, k).to_string()))?;
    let username = username.trim();
    if username.is_empty()
        || username.len() > 64
        || !username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        return Err(WebError::BadRequest(
            "a username is 1–64 characters of letters, digits, '.', '_' or '-'".into(),
        ));
    }
    if store.user_by_name(username).await?.is_some() {
        return Err(WebError::BadRequest(format!(
            "username '{username}' is taken"
        )));
    }
    let hash = auth::hash_password(password).map_err(WebError::Internal)?;
    Ok(store
        .create_user(&dtsen_store::NewUser {
            username: username.to_string(),
            display_name: display_name.trim().to_string(),
            role: role.key().to_string(),
            region: scope.stored(),
            password_hash: hash,
            created_at: now_secs(),
        })
        .await?)
}

/// The outcome of a login attempt.
pub enum LoginOutcome {
    /// Logged in: the token for the cookie or the bearer header, and the session's CSRF token.
    Ok {
        /// The session token (only the client keeps it; the store keeps its hash).
        token: String,
        /// Expiry, unix seconds.
        expires_at: i64,
    },
    /// Wrong name or password.
    Wrong,
    /// Locked after repeated failures.
    Locked,
}

/// Checks a login, counts failures, locks, opens a session, and logs the attempt.
pub async fn attempt_login(
    app: &App,
    username: &str,
    password: &str,
    address: Option<String>,
) -> Result<LoginOutcome, WebError> {
    let store = app.registry.store();
    let now = now_secs();
    let user = store.user_by_name(username.trim()).await?;
    let entry = |action: &str, user: Option<&UserRow>| audit::Entry {
        user_id: user.map(|u| u.id),
        username: user
            .map(|u| u.username.clone())
            .unwrap_or_else(|| username.chars().take(64).collect()),
        role: user.map(|u| u.role.clone()).unwrap_or_default(),
        action: action.to_string(),
        object: String::new(),
        region: user.map(|u| u.region.clone()),
        address: address.clone(),
    };
    let Some(user) = user.filter(|u| !u.disabled) else {
        auth::verify_password(password, &app.dummy_hash);
        app.audit
            .log(entry("login.failed", None))
            .await
            .map_err(WebError::Internal)?;
        return Ok(LoginOutcome::Wrong);
    };
    if user.locked_until.is_some_and(|t| t > now) {
        app.audit
            .log(entry("login.locked", Some(&user)))
            .await
            .map_err(WebError::Internal)?;
        return Ok(LoginOutcome::Locked);
    }
    if !auth::verify_password(password, &user.password_hash) {
        let lock = (user.failed_logins + 1 >= app.settings.lock_after)
            .then_some(now + app.settings.lock_seconds);
        store.login_failed(user.id, lock).await?;
        app.audit
            .log(entry("login.failed", Some(&user)))
            .await
            .map_err(WebError::Internal)?;
        return Ok(if lock.is_some() {
            LoginOutcome::Locked
        } else {
            LoginOutcome::Wrong
        });
    }
    store.login_succeeded(user.id).await?;
    let token = auth::random_token();
    let expires_at = now + app.settings.session_seconds;
    store
        .create_session(&dtsen_store::SessionRow {
            token_hash: auth::sha256_hex(token.as_bytes()),
            user_id: user.id,
            csrf: auth::random_token(),
            created_at: now,
            expires_at,
            address: address.clone(),
        })
        .await?;
    app.audit
        .log(entry("login.ok", Some(&user)))
        .await
        .map_err(WebError::Internal)?;
    Ok(LoginOutcome::Ok { token, expires_at })
}
