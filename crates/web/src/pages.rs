//! HTML pages.

use crate::auth::{self, Role};
use crate::data::Parts;
use crate::i18n::{self, lang_code, Lang};
use crate::{App, Ctx, LoginOutcome, Viewer, WebError};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use dtsen_core::RegionCode;
use minijinja::{context, Environment, Value};
use serde::Deserialize;
use std::sync::OnceLock;

/// The templates, compiled once.
pub(crate) fn templates() -> Result<Environment<'static>, WebError> {
    let mut env = Environment::new();
    for (name, text) in [
        ("base.html", include_str!("../templates/base.html")),
        ("login.html", include_str!("../templates/login.html")),
        ("password.html", include_str!("../templates/password.html")),
        ("error.html", include_str!("../templates/error.html")),
        (
            "dashboard.html",
            include_str!("../templates/dashboard.html"),
        ),
        ("hits.html", include_str!("../templates/hits.html")),
        ("search.html", include_str!("../templates/search.html")),
        ("family.html", include_str!("../templates/family.html")),
        ("member.html", include_str!("../templates/member.html")),
        (
            "member_fields.html",
            include_str!("../templates/member_fields.html"),
        ),
        ("audit.html", include_str!("../templates/audit.html")),
        ("users.html", include_str!("../templates/users.html")),
    ] {
        env.add_template(name, text)
            .map_err(|e| WebError::Internal(format!("template {name}: {e}")))?;
    }
    // Thousands grouped as people read them: 94.871 in Indonesian, 94,871 in English.
    env.add_filter("num", |v: i64, sep: String| group_digits(v, &sep));
    Ok(env)
}

/// `94871` → `94.871` with `sep` = `.`.
pub(crate) fn group_digits(v: i64, sep: &str) -> String {
    let digits = v.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push_str(sep);
        }
        out.push(c);
    }
    if v < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// Renders a page with the common context (texts, language, the viewer, CSRF token).
fn render(app: &App, ctx: &Ctx, name: &str, extra: Value) -> Response {
    let me = ctx.viewer.as_ref().map(|v| me(v, ctx.lang));
    let base = context! {
        t => texts(ctx.lang),
        lang => lang_code(ctx.lang),
        other_lang => if ctx.lang == Lang::En { "id" } else { "en" },
        sep => if ctx.lang == Lang::En { "," } else { "." },
        me => me,
        csrf => ctx.viewer.as_ref().map(|v| v.csrf.clone()),
        path => ctx.path.clone(),
    };
    let result = app
        .templates
        .get_template(name)
        .and_then(|t| t.render(context! { ..extra, ..base }));
    match result {
        Ok(html) => Html(html).into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("rendering {name}: {e}"),
        )
            .into_response(),
    }
}

/// The interface texts as a template value, built once per language (a request clones an
/// `Arc`, not ninety strings).
fn texts(lang: Lang) -> Value {
    static ID: OnceLock<Value> = OnceLock::new();
    static EN: OnceLock<Value> = OnceLock::new();
    let cell = match lang {
        Lang::Id => &ID,
        Lang::En => &EN,
    };
    cell.get_or_init(|| Value::from_serialize(i18n::texts(lang)))
        .clone()
}

/// The viewer as templates see it.
pub(crate) fn me(v: &Viewer, lang: Lang) -> serde_json::Value {
    let region_name = match v.scope.0 {
        None => i18n::t(lang, "whole_country").to_string(),
        Some(r) => dtsen_core::RegionTable::official()
            .get(r)
            .map(|x| format!("{} ({r})", x.name))
            .unwrap_or_else(|| r.to_string()),
    };
    serde_json::json!({
        "username": v.user.username,
        "display_name": v.user.display_name,
        "role": v.role.key(),
        "role_label": v.role.label(lang),
        "region": v.scope.0.map(|r| r.to_string()),
        "region_name": region_name,
        "reads_records": v.role.reads_records(),
        "reads_audit": v.role.reads_audit(),
        "manages_users": v.role.manages_users(),
        "sees_full_ids": v.role.sees_full_ids(),
    })
}

/// An error as a page: 404 for anything outside scope, login for no session.
fn error_page(app: &App, ctx: &Ctx, e: WebError) -> Response {
    if matches!(e, WebError::Unauthorized) {
        return Redirect::to(&format!("/masuk?next={}", urlencode(&ctx.path))).into_response();
    }
    let status = e.status();
    let message = match &e {
        WebError::NotFound => i18n::t(ctx.lang, "not_found").to_string(),
        WebError::Forbidden => i18n::t(ctx.lang, "forbidden").to_string(),
        WebError::NoSnapshot => i18n::t(ctx.lang, "no_snapshot").to_string(),
        WebError::BadRequest(m) => format!("{}: {m}", i18n::t(ctx.lang, "bad_request")),
        // Internal details go to the log, not to the page.
        other => {
            eprintln!("dtsen web: {} {}: {other}", status.as_u16(), ctx.path);
            status.canonical_reason().unwrap_or("error").to_string()
        }
    };
    let mut r = render(
        app,
        ctx,
        "error.html",
        context! { status => status.as_u16(), message => message },
    );
    *r.status_mut() = status;
    r
}

fn viewer(ctx: &Ctx) -> Result<&Viewer, WebError> {
    ctx.viewer.as_ref().ok_or(WebError::Unauthorized)
}

fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Only a local path may follow a login (no open redirect).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/dasbor".to_string(),
    }
}

fn check_csrf(v: &Viewer, token: &str) -> Result<(), WebError> {
    if auth::same(&v.csrf, token) {
        Ok(())
    } else {
        Err(WebError::BadRequest("CSRF token".into()))
    }
}

fn cookie_header(app: &App, name: &str, value: &str, max_age: i64) -> HeaderValue {
    let secure = if app.settings.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

pub(crate) async fn home(ctx: Ctx) -> Response {
    if ctx.viewer.is_some() {
        Redirect::to("/dasbor").into_response()
    } else {
        Redirect::to("/masuk").into_response()
    }
}

#[derive(Deserialize)]
pub(crate) struct NextQuery {
    next: Option<String>,
}

pub(crate) async fn login_form(
    State(app): State<App>,
    ctx: Ctx,
    Query(q): Query<NextQuery>,
) -> Response {
    login_page(&app, &ctx, q.next.as_deref(), None, StatusCode::OK)
}

fn login_page(
    app: &App,
    ctx: &Ctx,
    next: Option<&str>,
    message: Option<&str>,
    status: StatusCode,
) -> Response {
    let token = auth::random_token();
    let mut r = render(
        app,
        ctx,
        "login.html",
        context! { login_csrf => token.clone(), next => safe_next(next), message => message },
    );
    *r.status_mut() = status;
    r.headers_mut().append(
        header::SET_COOKIE,
        cookie_header(app, crate::LOGIN_CSRF_COOKIE, &token, 3600),
    );
    r
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    username: String,
    password: String,
    csrf: String,
    next: Option<String>,
}

pub(crate) async fn login(
    State(app): State<App>,
    ctx: Ctx,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    // Double-submit: the form's token must equal the cookie set with the form.
    let cookie = crate::cookie(&headers, crate::LOGIN_CSRF_COOKIE).unwrap_or("");
    if cookie.is_empty() || !auth::same(cookie, &f.csrf) {
        return login_page(
            &app,
            &ctx,
            f.next.as_deref(),
            Some(i18n::t(ctx.lang, "bad_request")),
            StatusCode::BAD_REQUEST,
        );
    }
    match crate::attempt_login(&app, &f.username, &f.password, ctx.address.clone()).await {
        Ok(LoginOutcome::Ok { token, .. }) => {
            let mut r = Redirect::to(&safe_next(f.next.as_deref())).into_response();
            r.headers_mut().append(
                header::SET_COOKIE,
                cookie_header(
                    &app,
                    crate::SESSION_COOKIE,
                    &token,
                    app.settings.session_seconds,
                ),
            );
            r.headers_mut().append(
                header::SET_COOKIE,
                cookie_header(&app, crate::LOGIN_CSRF_COOKIE, "", 0),
            );
            r
        }
        Ok(LoginOutcome::Wrong) => login_page(
            &app,
            &ctx,
            f.next.as_deref(),
            Some(i18n::t(ctx.lang, "login_failed")),
            StatusCode::UNAUTHORIZED,
        ),
        Ok(LoginOutcome::Locked) => login_page(
            &app,
            &ctx,
            f.next.as_deref(),
            Some(i18n::t(ctx.lang, "locked")),
            StatusCode::TOO_MANY_REQUESTS,
        ),
        Err(e) => error_page(&app, &ctx, e),
    }
}

#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    csrf: String,
}

pub(crate) async fn logout(State(app): State<App>, ctx: Ctx, Form(f): Form<CsrfForm>) -> Response {
    let run = async {
        let v = viewer(&ctx)?;
        check_csrf(v, &f.csrf)?;
        app.registry.store().delete_session(&v.token_hash).await?;
        app.forget_sessions(Some(&v.token_hash), None);
        crate::log_access(&app, &ctx, v, "logout", String::new(), None).await?;
        Ok::<_, WebError>(())
    };
    match run.await {
        Ok(()) => {
            let mut r = Redirect::to("/masuk").into_response();
            r.headers_mut().append(
                header::SET_COOKIE,
                cookie_header(&app, crate::SESSION_COOKIE, "", 0),
            );
            r
        }
        Err(e) => error_page(&app, &ctx, e),
    }
}

pub(crate) async fn language(
    State(app): State<App>,
    Path(lang): Path<String>,
    Query(q): Query<NextQuery>,
) -> Response {
    let code = lang_code(i18n::lang_from_code(Some(&lang)));
    let mut r = Redirect::to(&safe_next(q.next.as_deref())).into_response();
    let secure = if app.settings.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{}={code}; Path=/; SameSite=Lax; Max-Age=31536000{secure}",
        crate::LANG_COOKIE
    )) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

pub(crate) async fn password_form(State(app): State<App>, ctx: Ctx) -> Response {
    if let Err(e) = viewer(&ctx) {
        return error_page(&app, &ctx, e);
    }
    render(&app, &ctx, "password.html", context! {})
}

#[derive(Deserialize)]
pub(crate) struct PasswordForm {
    csrf: String,
    old: String,
    new: String,
}

pub(crate) async fn password(
    State(app): State<App>,
    ctx: Ctx,
    Form(f): Form<PasswordForm>,
) -> Response {
    let v = match viewer(&ctx).and_then(|v| check_csrf(v, &f.csrf).map(|_| v)) {
        Ok(v) => v.clone(),
        Err(e) => return error_page(&app, &ctx, e),
    };
    let fail = |key: &str| {
        let mut r = render(
            &app,
            &ctx,
            "password.html",
            context! { message => i18n::t(ctx.lang, key) },
        );
        *r.status_mut() = StatusCode::BAD_REQUEST;
        r
    };
    if !auth::verify_password(&f.old, &v.user.password_hash) {
        return fail("wrong_old_password");
    }
    if let Err(key) = auth::check_password_strength(&f.new) {
        return fail(key);
    }
    let run = async {
        let hash = auth::hash_password(&f.new).map_err(WebError::Internal)?;
        app.registry.store().set_password(v.user.id, &hash).await?;
        app.forget_sessions(None, Some(v.user.id));
        crate::log_access(&app, &ctx, &v, "password.change", String::new(), None).await
    };
    match run.await {
        // Every session of the account ended with the change: log in again.
        Ok(()) => login_page(
            &app,
            &Ctx {
                viewer: None,
                lang: ctx.lang,
                address: ctx.address.clone(),
                htmx: false,
                path: "/masuk".into(),
            },
            None,
            Some(i18n::t(ctx.lang, "password_changed")),
            StatusCode::OK,
        ),
        Err(e) => error_page(&app, &ctx, e),
    }
}

pub(crate) async fn dashboard_own(State(app): State<App>, ctx: Ctx) -> Response {
    let page = match viewer(&ctx) {
        Ok(v) => app.registry.dashboard(v, v.scope.0, ctx.lang).await,
        Err(e) => Err(e),
    };
    match page {
        Ok(p) => render(
            &app,
            &ctx,
            "dashboard.html",
            context! { page => Value::from_serialize(&p) },
        ),
        Err(e) => error_page(&app, &ctx, e),
    }
}

pub(crate) async fn dashboard(
    State(app): State<App>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Response {
    let page = async {
        let v = viewer(&ctx)?;
        let region = match code.as_str() {
            "nasional" => None,
            c => Some(RegionCode::parse(c).map_err(|_| WebError::NotFound)?),
        };
        app.registry.dashboard(v, region, ctx.lang).await
    };
    match page.await {
        Ok(p) => render(
            &app,
            &ctx,
            "dashboard.html",
            context! { page => Value::from_serialize(&p) },
        ),
        Err(e) => error_page(&app, &ctx, e),
    }
}

#[derive(Deserialize)]
pub(crate) struct SearchQuery {
    q: Option<String>,
}

pub(crate) async fn search(
    State(app): State<App>,
    ctx: Ctx,
    Query(q): Query<SearchQuery>,
) -> Response {
    let page = async {
        let v = viewer(&ctx)?;
        if !v.role.reads_records() {
            return Err(WebError::Forbidden);
        }
        let query = q.q.unwrap_or_default();
        if query.trim().is_empty() {
            return Ok(None);
        }
        let view = crate::logged_search(&app, &ctx, v, &query, false).await?;
        Ok(Some(view))
    };
    match page.await {
        Ok(view) => {
            let page = view.map(|v| Value::from_serialize(&v));
            let empty = context! { query => "", kind => "", hits => Vec::<i32>::new() };
            let page = page.unwrap_or(empty);
            let name = if ctx.htmx { "hits.html" } else { "search.html" };
            render(&app, &ctx, name, context! { page => page })
        }
        Err(e) => error_page(&app, &ctx, e),
    }
}

pub(crate) async fn family(
    State(app): State<App>,
    ctx: Ctx,
    Path((prov, id)): Path<(String, String)>,
) -> Response {
    let page = async {
        let v = viewer(&ctx)?;
        let view = crate::logged_family(&app, &ctx, v, &prov, &id, Parts::Page).await?;
        Ok(view)
    };
    match page.await {
        Ok(p) => render(
            &app,
            &ctx,
            "family.html",
            context! { page => Value::from_serialize(&p) },
        ),
        Err(e) => error_page(&app, &ctx, e),
    }
}

/// One member's golden record, field by field with sources: a fragment for htmx on the
/// family page, a page of its own without JavaScript. A logged view like the family page.
pub(crate) async fn member(
    State(app): State<App>,
    ctx: Ctx,
    Path((prov, id, person)): Path<(String, String, String)>,
) -> Response {
    let page = async {
        let v = viewer(&ctx)?;
        let person: i64 = person.parse().map_err(|_| WebError::NotFound)?;
        let view = crate::logged_family(&app, &ctx, v, &prov, &id, Parts::Member(person)).await?;
        let member = view
            .members
            .iter()
            .find(|m| m.person_id == person)
            .cloned()
            .ok_or(WebError::NotFound)?;
        Ok((view, member))
    };
    match page.await {
        Ok((p, m)) => {
            let name = if ctx.htmx {
                "member_fields.html"
            } else {
                "member.html"
            };
            render(
                &app,
                &ctx,
                name,
                context! { page => Value::from_serialize(&p), member => Value::from_serialize(&m) },
            )
        }
        Err(e) => error_page(&app, &ctx, e),
    }
}

#[derive(Deserialize)]
pub(crate) struct AuditQuery {
    sebelum: Option<i64>,
    periksa: Option<String>,
}

pub(crate) async fn audit(
    State(app): State<App>,
    ctx: Ctx,
    Query(q): Query<AuditQuery>,
) -> Response {
    let page = async {
        let v = viewer(&ctx)?;
        if !v.role.reads_audit() {
            return Err(WebError::Forbidden);
        }
        let rows = app.registry.store().audit_before(q.sebelum, 100).await?;
        let check = if q.periksa.is_some() || q.sebelum.is_none() {
            Some(crate::audit::verify(app.registry.store().as_ref()).await?)
        } else {
            None
        };
        crate::log_access(
            &app,
            &ctx,
            v,
            "audit.view",
            format!("before={:?}", q.sebelum),
            None,
        )
        .await?;
        Ok((rows, check))
    };
    match page.await {
        Ok((rows, check)) => {
            let older = (rows.len() == 100)
                .then(|| rows.last().map(|r| r.seq))
                .flatten();
            let entries: Vec<serde_json::Value> = rows
                .iter()
                .map(|r| {
                    serde_json::json!({"seq": r.seq, "when": format_millis(r.at), "username": r.username, "role": r.role,
                        "action": r.action, "object": r.object, "region": r.region, "address": r.address})
                })
                .collect();
            render(
                &app,
                &ctx,
                "audit.html",
                context! { entries => entries, older => older, check => Value::from_serialize(&check) },
            )
        }
        Err(e) => error_page(&app, &ctx, e),
    }
}

/// `2026-11-23 08:15:02 UTC`.
pub(crate) fn format_millis(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

pub(crate) async fn users(State(app): State<App>, ctx: Ctx) -> Response {
    users_page(&app, &ctx, None, true).await
}

async fn users_page(app: &App, ctx: &Ctx, message: Option<String>, ok: bool) -> Response {
    let page = async {
        let v = viewer(ctx)?;
        if !v.role.manages_users() {
            return Err(WebError::Forbidden);
        }
        let all = app.registry.store().users().await?;
        Ok(all
            .into_iter()
            .filter(|u| {
                crate::auth::Scope::parse(&u.region).is_some_and(|s| match s.0 {
                    None => v.scope.0.is_none(),
                    Some(r) => v.scope.covers(r),
                })
            })
            .map(|u| {
                serde_json::json!({"username": u.username, "display_name": u.display_name,
                    "role": Role::from_key(&u.role).map(|r| r.label(ctx.lang)).unwrap_or("?"),
                    "region": region_display(&u.region)})
            })
            .collect::<Vec<_>>())
    };
    match page.await {
        Ok(list) => {
            let roles: Vec<serde_json::Value> = Role::ALL
                .iter()
                .map(|r| serde_json::json!({"key": r.key(), "label": r.label(ctx.lang)}))
                .collect();
            let mut r = render(
                app,
                ctx,
                "users.html",
                context! { users => list, roles => roles, message => message, ok => ok },
            );
            if !ok {
                *r.status_mut() = StatusCode::BAD_REQUEST;
            }
            r
        }
        Err(e) => error_page(app, ctx, e),
    }
}

fn region_display(stored: &str) -> Option<String> {
    crate::auth::Scope::parse(stored).and_then(|s| s.0.map(|r| r.to_string()))
}

#[derive(Deserialize)]
pub(crate) struct UserForm {
    csrf: String,
    username: String,
    display_name: String,
    role: String,
    region: String,
    password: String,
}

pub(crate) async fn add_user(
    State(app): State<App>,
    ctx: Ctx,
    Form(f): Form<UserForm>,
) -> Response {
    let run = async {
        let v = viewer(&ctx)?;
        check_csrf(v, &f.csrf)?;
        if !v.role.manages_users() {
            return Err(WebError::Forbidden);
        }
        let role = Role::from_key(&f.role)
            .ok_or_else(|| WebError::BadRequest(format!("unknown role '{}'", f.role)))?;
        // An administrator creates accounts only inside its own region.
        let scope = crate::auth::Scope::parse(f.region.trim())
            .ok_or_else(|| WebError::BadRequest(format!("'{}' is not a region code", f.region)))?;
        let inside = match scope.0 {
            None => v.scope.0.is_none(),
            Some(r) => v.scope.covers(r),
        };
        if !inside {
            return Err(WebError::BadRequest(format!(
                "region '{}' is outside your own",
                f.region
            )));
        }
        crate::create_user(
            app.registry.store().as_ref(),
            &f.username,
            &f.display_name,
            role,
            &scope.stored(),
            &f.password,
        )
        .await?;
        crate::log_access(
            &app,
            &ctx,
            v,
            "user.create",
            format!("{} {} {}", f.username.trim(), role.key(), scope.stored()),
            scope.0.map(|r| r.digits()),
        )
        .await
    };
    match run.await {
        Ok(()) => {
            users_page(
                &app,
                &ctx,
                Some(i18n::t(ctx.lang, "saved").to_string()),
                true,
            )
            .await
        }
        Err(WebError::BadRequest(m)) => users_page(&app, &ctx, Some(m), false).await,
        Err(e) => error_page(&app, &ctx, e),
    }
}

pub(crate) async fn asset(Path(file): Path<String>) -> Response {
    let (body, kind): (&'static [u8], &str) = match file.as_str() {
        "htmx.min.js" => (
            include_bytes!("../static/htmx.min.js"),
            "text/javascript; charset=utf-8",
        ),
        "style.css" => (
            include_bytes!("../static/style.css"),
            "text/css; charset=utf-8",
        ),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
        .into_response()
}

pub(crate) async fn not_found(State(app): State<App>, ctx: Ctx) -> Response {
    error_page(&app, &ctx, WebError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_dates_read_as_people_write_them() {
        assert_eq!(group_digits(94871, "."), "94.871");
        assert_eq!(group_digits(287036000, ","), "287,036,000");
        assert_eq!(group_digits(7, "."), "7");
        assert_eq!(group_digits(-1000, "."), "-1.000");
        assert_eq!(format_millis(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format_millis(1_795_000_000_000), "2026-11-18 11:06:40 UTC");
        assert_eq!(safe_next(Some("//evil.example")), "/dasbor");
        assert_eq!(safe_next(Some("/cari?q=x")), "/cari?q=x");
        assert_eq!(safe_next(Some("https://evil.example")), "/dasbor");
    }
}
