//! Accounts, sessions, CSRF, lockout, the access log and its chain, the API document: on the
//! real router over a real SQLite store (and PostgreSQL for the log when `DTSEN_TEST_PG` is set).

mod common;

use axum::http::{header, StatusCode};
use common::*;
use dtsen_web::auth::Role;

async fn setup(
    name: &str,
    postgres: bool,
) -> (std::sync::Arc<dyn dtsen_store::Store>, axum::Router) {
    let places = Places::new();
    let store = store(name, postgres).await;
    fill(store.as_ref(), &places).await;
    let app = dtsen_web::app(store.clone(), None, Default::default()).expect("app");
    (store, dtsen_web::router(app))
}

fn set_cookie(h: &axum::http::HeaderMap, name: &str) -> Option<String> {
    h.get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

fn hidden(body: &str, name: &str) -> String {
    let key = format!("name=\"{name}\" value=\"");
    let at = body.find(&key).expect("hidden field") + key.len();
    body[at..].split('"').next().unwrap_or("").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_form_needs_its_csrf_token_and_sets_a_strict_session_cookie() {
    let (_, router) = setup("login", false).await;
    // Without a session, pages send to the login form and the API answers 401.
    let (status, h, _) = call(&router, "GET", "/dasbor", &[], None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(h[header::LOCATION]
        .to_str()
        .unwrap_or("")
        .starts_with("/masuk"));
    let (status, _, _) = call(&router, "GET", "/api/v1/dashboard", &[], None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let (status, h, body) = call(&router, "GET", "/masuk", &[], None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Kata sandi"), "Indonesian by default");
    let csrf_cookie = set_cookie(&h, "dtsen_csrf").expect("csrf cookie");
    let token = hidden(&body, "csrf");
    let cookie_value = csrf_cookie
        .split(';')
        .next()
        .and_then(|kv| kv.split_once('='))
        .map(|(_, v)| v.to_string())
        .expect("cookie value");
    assert_eq!(token, cookie_value);
    let role = Role::OperatorKabKota;
    let form = |csrf: &str| {
        format!(
            "username=u.{}&password={}&csrf={csrf}&next=%2Fcari",
            role.key(),
            password(role).replace('!', "%21")
        )
    };
    // A forged form (token not matching the cookie) is refused.
    let (status, h, _) = call(
        &router,
        "POST",
        "/masuk",
        &[("cookie", format!("dtsen_csrf={cookie_value}"))],
        Some(("application/x-www-form-urlencoded", form("forged"))),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(set_cookie(&h, "dtsen_sesi").is_none());
    // The real one logs in and goes where it was asked, locally only.
    let (status, h, _) = call(
        &router,
        "POST",
        "/masuk",
        &[("cookie", format!("dtsen_csrf={cookie_value}"))],
        Some(("application/x-www-form-urlencoded", form(&token))),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(h[header::LOCATION], "/cari");
    let session = set_cookie(&h, "dtsen_sesi").expect("session cookie");
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Strict"));
    let sid = session
        .split(';')
        .next()
        .unwrap_or("")
        .trim_start_matches("dtsen_sesi=")
        .to_string();
    let (status, _, body) = call(
        &router,
        "GET",
        "/dasbor",
        &[("cookie", format!("dtsen_sesi={sid}"))],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("Kota Kediri"));
    // English on request.
    let (_, _, body) = call(
        &router,
        "GET",
        "/dasbor",
        &[("cookie", format!("dtsen_sesi={sid}; bahasa=en"))],
        None,
    )
    .await;
    assert!(body.contains("Families") && body.contains("Log out"));
    // An open redirect is not followed.
    let evil = format!(
        "username=u.{}&password={}&csrf={token}&next=%2F%2Fevil.example",
        role.key(),
        password(role).replace('!', "%21")
    );
    let (_, h, _) = call(
        &router,
        "POST",
        "/masuk",
        &[("cookie", format!("dtsen_csrf={cookie_value}"))],
        Some(("application/x-www-form-urlencoded", evil)),
    )
    .await;
    assert_eq!(h[header::LOCATION], "/dasbor");
    // Logout needs the session's CSRF token, then the session is gone.
    let (status, _, _) = call(
        &router,
        "POST",
        "/keluar",
        &[("cookie", format!("dtsen_sesi={sid}"))],
        Some(("application/x-www-form-urlencoded", "csrf=wrong".into())),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, _, page) = call(
        &router,
        "GET",
        "/sandi",
        &[("cookie", format!("dtsen_sesi={sid}"))],
        None,
    )
    .await;
    let csrf = hidden(&page, "csrf");
    let (status, _, _) = call(
        &router,
        "POST",
        "/keluar",
        &[("cookie", format!("dtsen_sesi={sid}"))],
        Some(("application/x-www-form-urlencoded", format!("csrf={csrf}"))),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, _) = call(
        &router,
        "GET",
        "/api/v1/me",
        &[("authorization", format!("Bearer {sid}"))],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_failures_lock_the_account_and_a_password_change_ends_sessions() {
    let (_, router) = setup("lockout", false).await;
    let role = Role::Pendamping;
    let login = |pw: String| {
        let router = router.clone();
        async move {
            call(
                &router,
                "POST",
                "/api/v1/session",
                &[],
                Some((
                    "application/json",
                    serde_json::json!({"username": format!("u.{}", role.key()), "password": pw})
                        .to_string(),
                )),
            )
            .await
            .0
        }
    };
    for _ in 0..4 {
        assert_eq!(login("wrong".into()).await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(login("wrong".into()).await, StatusCode::TOO_MANY_REQUESTS);
    // Locked: even the right password is refused for now.
    assert_eq!(login(password(role)).await, StatusCode::TOO_MANY_REQUESTS);
    // An unknown name answers like a wrong password.
    let (status, _, _) = call(
        &router,
        "POST",
        "/api/v1/session",
        &[],
        Some((
            "application/json",
            r#"{"username":"nobody","password":"x"}"#.into(),
        )),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Password change: the old sessions end.
    let role = Role::Bps;
    let t1 = token(&router, &format!("u.{}", role.key()), &password(role)).await;
    let cookie = ("cookie", format!("dtsen_sesi={t1}"));
    let (_, _, page) = call(
        &router,
        "GET",
        "/sandi",
        std::slice::from_ref(&cookie),
        None,
    )
    .await;
    let csrf = hidden(&page, "csrf");
    let weak = format!(
        "csrf={csrf}&old={}&new=short",
        password(role).replace('!', "%21")
    );
    let (status, _, body) = call(
        &router,
        "POST",
        "/sandi",
        std::slice::from_ref(&cookie),
        Some(("application/x-www-form-urlencoded", weak)),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("minimal 10"));
    let good = format!(
        "csrf={csrf}&old={}&new=Baru-Sekali-2027",
        password(role).replace('!', "%21")
    );
    let (status, _, _) = call(
        &router,
        "POST",
        "/sandi",
        std::slice::from_ref(&cookie),
        Some(("application/x-www-form-urlencoded", good)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = call(&router, "GET", "/api/v1/me", &[cookie], None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    token(&router, &format!("u.{}", role.key()), "Baru-Sekali-2027").await;
}

async fn access_log(postgres: bool) {
    let (store, router) = setup(if postgres { "web_audit" } else { "audit" }, postgres).await;
    let places = Places::new();
    let op = Role::OperatorKabKota;
    let t = token(&router, &format!("u.{}", op.key()), &password(op)).await;
    let bearer = ("authorization", format!("Bearer {t}"));
    // Views by 20 concurrent requests: each one is logged, in one unbroken chain.
    let mut tasks = Vec::new();
    for k in 0..20 {
        let router = router.clone();
        let bearer = bearer.clone();
        let uri = if k % 2 == 0 {
            "/api/v1/families/35/1".to_string()
        } else {
            "/keluarga/35/2".to_string()
        };
        tasks.push(tokio::spawn(async move {
            let h = if uri.starts_with("/api") {
                bearer
            } else {
                ("cookie", bearer.1.replace("Bearer ", "dtsen_sesi="))
            };
            call(&router, "GET", &uri, &[h], None).await.0
        }));
    }
    for t in tasks {
        assert_eq!(t.await.expect("task"), StatusCode::OK);
    }
    // A view outside scope is not a view: nothing shown, nothing logged as read.
    let (status, _, _) = call(
        &router,
        "GET",
        "/api/v1/families/33/5",
        std::slice::from_ref(&bearer),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Only auditors read the log.
    let (status, _, _) = call(
        &router,
        "GET",
        "/api/v1/audit",
        std::slice::from_ref(&bearer),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let au = Role::Auditor;
    let ta = token(&router, &format!("u.{}", au.key()), &password(au)).await;
    let (status, _, body) = call(
        &router,
        "GET",
        "/api/v1/audit?limit=1000",
        &[("authorization", format!("Bearer {ta}"))],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert!(
        v["verification"]["broken_at"].is_null(),
        "{}",
        v["verification"]
    );
    let entries = v["entries"].as_array().expect("entries");
    let views: Vec<&serde_json::Value> = entries
        .iter()
        .filter(|e| e["action"] == "family.view" && e["username"] == "u.operator_kabkota")
        .collect();
    assert_eq!(views.len(), 20);
    assert!(views.iter().all(|e| e["region"]
        .as_str()
        .is_some_and(|r| r.starts_with(&places.district.digits()))));
    assert!(entries.iter().any(|e| e["action"] == "login.ok"));
    let (status, _, page) = call(
        &router,
        "GET",
        "/audit",
        &[("cookie", format!("dtsen_sesi={ta}"))],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Rantai hash utuh"));
    // The database refuses to change or remove an entry.
    let refused = store
        .audit_after(0, 1)
        .await
        .expect("entries")
        .into_iter()
        .next()
        .expect("one entry");
    assert_eq!(refused.seq, 1);
    let v = dtsen_web::audit::verify(store.as_ref())
        .await
        .expect("verify");
    assert!(v.broken_at.is_none() && v.entries >= 23, "{v:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_view_is_logged_in_an_unbroken_chain_on_sqlite() {
    access_log(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_view_is_logged_in_an_unbroken_chain_on_postgres() {
    if std::env::var("DTSEN_TEST_PG").is_err() {
        if std::env::var("CI").is_ok() {
            panic!("DTSEN_TEST_PG is not set in CI: the PostgreSQL run must happen");
        }
        return;
    }
    access_log(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_or_removed_entry_breaks_the_chain() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("web-tamper");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("r.db");
    let store = dtsen_store::open(&format!("sqlite://{}", path.display()))
        .await
        .expect("open");
    store.migrate().await.expect("migrate");
    let log = dtsen_web::audit::AuditLog::start(store.clone());
    for k in 0..5 {
        log.log(dtsen_web::audit::Entry {
            user_id: Some(1),
            username: "u".into(),
            role: "operator_desa".into(),
            action: "family.view".into(),
            object: format!("keluarga 35/{k}"),
            region: Some("3571011001".into()),
            address: Some("127.0.0.1".into()),
        })
        .await
        .expect("logged");
    }
    let ok = dtsen_web::audit::verify(store.as_ref())
        .await
        .expect("verify");
    assert_eq!((ok.entries, ok.broken_at), (5, None));
    // On SQLite the access log has a file of its own beside the registry's.
    let db = rusqlite::Connection::open(dtsen_store::sqlite_audit_path(&path.to_string_lossy()))
        .expect("sqlite");
    // The table refuses changes through SQL.
    let e = db
        .execute("UPDATE audit_log SET object = 'x' WHERE seq = 3", [])
        .expect_err("refused");
    assert!(e.to_string().contains("append-only"), "{e}");
    assert!(db
        .execute("DELETE FROM audit_log WHERE seq = 3", [])
        .is_err());
    // Someone with the file drops the guard and edits: the chain shows where.
    db.execute_batch(
        "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;
         UPDATE audit_log SET object = 'keluarga 35/99' WHERE seq = 3;",
    )
    .expect("tamper");
    let v = dtsen_web::audit::verify(store.as_ref())
        .await
        .expect("verify");
    assert_eq!(v.broken_at, Some(3), "{v:?}");
    db.execute_batch("UPDATE audit_log SET object = 'keluarga 35/2' WHERE seq = 3; DELETE FROM audit_log WHERE seq = 4;")
        .expect("tamper");
    let v = dtsen_web::audit::verify(store.as_ref())
        .await
        .expect("verify");
    assert_eq!(v.broken_at, Some(5), "{v:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_lists_every_api_route() {
    let (_, router) = setup("openapi", false).await;
    let (status, h, body) = call(&router, "GET", "/api/openapi.json", &[], None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h[header::CONTENT_TYPE], "application/json");
    let doc: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().expect("paths");
    let src = include_str!("../src/lib.rs");
    let routes: Vec<&str> = src
        .lines()
        .filter_map(|l| l.trim().strip_prefix(".route(\"/api/v1"))
        .filter_map(|l| l.split('"').next())
        .collect();
    assert!(routes.len() >= 6);
    for r in routes {
        assert!(
            paths.contains_key(&format!("/api/v1{r}")),
            "{r} missing from openapi.json"
        );
    }
    // Static assets and security headers.
    let (status, h, _) = call(&router, "GET", "/static/htmx.min.js", &[], None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(h[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap_or("")
        .contains("default-src 'self'"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_creates_accounts_only_inside_its_region_and_reads_no_records() {
    let (store, router) = setup("admin", false).await;
    let t = token(&router, "u.admin", &password(Role::Admin)).await;
    let cookie = ("cookie", format!("dtsen_sesi={t}"));
    let (status, _, page) = call(
        &router,
        "GET",
        "/pengguna",
        std::slice::from_ref(&cookie),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let csrf = hidden(&page, "csrf");
    let form = |u: &str, role: &str, region: &str| {
        format!("csrf={csrf}&username={u}&display_name=Baru&role={role}&region={region}&password=Kata-Sandi-2026")
    };
    let (status, _, body) = call(
        &router,
        "POST",
        "/pengguna",
        std::slice::from_ref(&cookie),
        Some((
            "application/x-www-form-urlencoded",
            form("baru.desa", "operator_desa", "35.71"),
        )),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a village operator is bound to a village: {body}"
    );
    let (status, _, _) = call(
        &router,
        "POST",
        "/pengguna",
        std::slice::from_ref(&cookie),
        Some((
            "application/x-www-form-urlencoded",
            form("baru.desa", "operator_desa", "35.71.01.1001"),
        )),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(store
        .user_by_name("baru.desa")
        .await
        .expect("user")
        .is_some());
    // Other roles cannot open account management.
    let op = Role::OperatorKabKota;
    let t2 = token(&router, &format!("u.{}", op.key()), &password(op)).await;
    let (status, _, _) = call(
        &router,
        "GET",
        "/pengguna",
        &[("cookie", format!("dtsen_sesi={t2}"))],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
