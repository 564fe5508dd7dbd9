//! The JSON API: the same reads as the pages, through the same scoped query layer, with the
//! same answers outside scope (404). Authenticated by the session cookie or by
//! `Authorization: Bearer <token>` from `POST /api/v1/session`.

use crate::{App, Ctx, LoginOutcome, Viewer, WebError};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use dtsen_core::RegionCode;
use serde::Deserialize;
use serde_json::json;

fn error(e: WebError) -> Response {
    let status = e.status();
    let code = match &e {
        WebError::Unauthorized => "unauthorized",
        WebError::NotFound => "not_found",
        WebError::Forbidden => "forbidden",
        WebError::BadRequest(_) => "bad_request",
        WebError::NoSnapshot => "no_snapshot",
        WebError::Store(_) | WebError::Internal(_) => "internal",
    };
    let message = match &e {
        WebError::Store(_) | WebError::Internal(_) => {
            eprintln!("dtsen api: {e}");
            "internal error".to_string()
        }
        other => other.to_string(),
    };
    (status, Json(json!({"error": code, "message": message}))).into_response()
}

fn viewer(ctx: &Ctx) -> Result<&Viewer, WebError> {
    ctx.viewer.as_ref().ok_or(WebError::Unauthorized)
}

fn reply<T: serde::Serialize>(r: Result<T, WebError>) -> Response {
    match r {
        Ok(v) => Json(v).into_response(),
        Err(e) => error(e),
    }
}

#[derive(Deserialize)]
pub(crate) struct LoginBody {
    username: String,
    password: String,
}

pub(crate) async fn login(State(app): State<App>, ctx: Ctx, Json(b): Json<LoginBody>) -> Response {
    match crate::attempt_login(&app, &b.username, &b.password, ctx.address.clone()).await {
        Ok(LoginOutcome::Ok { token, expires_at }) => {
            Json(json!({"token": token, "expires_at": expires_at})).into_response()
        }
        Ok(LoginOutcome::Wrong) => (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "wrong_credentials", "message": "wrong username or password"})),
        )
            .into_response(),
        Ok(LoginOutcome::Locked) => (
            StatusCode::TOO_MANY_REQUESTS,
            Json(json!({"error": "locked", "message": "the account is locked for a while after too many failed attempts"})),
        )
            .into_response(),
        Err(e) => error(e),
    }
}

pub(crate) async fn logout(State(app): State<App>, ctx: Ctx) -> Response {
    let run = async {
        let v = viewer(&ctx)?;
        app.registry.store().delete_session(&v.token_hash).await?;
        app.forget_sessions(Some(&v.token_hash), None);
        crate::log_access(&app, &ctx, v, "logout", String::new(), None).await?;
        Ok(json!({"ok": true}))
    };
    reply(run.await)
}

pub(crate) async fn me(ctx: Ctx) -> Response {
    reply(viewer(&ctx).map(|v| crate::pages::me(v, ctx.lang)))
}

pub(crate) async fn dashboard_own(State(app): State<App>, ctx: Ctx) -> Response {
    let run = async {
        let v = viewer(&ctx)?;
        app.registry.dashboard(v, v.scope.0, ctx.lang).await
    };
    reply(run.await)
}

pub(crate) async fn dashboard(
    State(app): State<App>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Response {
    let run = async {
        let v = viewer(&ctx)?;
        let region = match code.as_str() {
            "nasional" => None,
            c => Some(RegionCode::parse(c).map_err(|_| WebError::NotFound)?),
        };
        app.registry.dashboard(v, region, ctx.lang).await
    };
    reply(run.await)
}

#[derive(Deserialize)]
pub(crate) struct SearchQuery {
    q: String,
}

pub(crate) async fn search(
    State(app): State<App>,
    ctx: Ctx,
    Query(q): Query<SearchQuery>,
) -> Response {
    let run = async {
        let v = viewer(&ctx)?;
        let view = crate::logged_search(&app, &ctx, v, &q.q, true).await?;
        Ok(view)
    };
    reply(run.await)
}

pub(crate) async fn family(
    State(app): State<App>,
    ctx: Ctx,
    Path((prov, id)): Path<(String, String)>,
) -> Response {
    let run = async {
        let v = viewer(&ctx)?;
        let view = crate::logged_family(&app, &ctx, v, &prov, &id, crate::data::Parts::All).await?;
        Ok(view)
    };
    reply(run.await)
}

#[derive(Deserialize)]
pub(crate) struct AuditQuery {
    before: Option<i64>,
    limit: Option<i64>,
}

pub(crate) async fn audit(
    State(app): State<App>,
    ctx: Ctx,
    Query(q): Query<AuditQuery>,
) -> Response {
    let run = async {
        let v = viewer(&ctx)?;
        if !v.role.reads_audit() {
            return Err(WebError::Forbidden);
        }
        let rows = app
            .registry
            .store()
            .audit_before(q.before, q.limit.unwrap_or(100).clamp(1, 1000))
            .await?;
        let check = crate::audit::verify(app.registry.store().as_ref()).await?;
        crate::log_access(
            &app,
            &ctx,
            v,
            "audit.view",
            format!("before={:?} (api)", q.before),
            None,
        )
        .await?;
        let entries: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| {
                json!({"seq": r.seq, "at_ms": r.at, "user_id": r.user_id, "username": r.username, "role": r.role,
                    "action": r.action, "object": r.object, "region": r.region, "address": r.address,
                    "prev_hash": r.prev_hash, "hash": r.hash})
            })
            .collect();
        Ok(json!({"verification": check, "entries": entries}))
    };
    reply(run.await)
}

pub(crate) async fn openapi() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        include_str!("../openapi.json"),
    )
        .into_response()
}
