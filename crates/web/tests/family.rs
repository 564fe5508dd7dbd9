//! The family page's parts: the HTML page lists members without their field-by-field records
//! (loaded member by member on demand), the member fragment holds that member's record with
//! the source of each field, and the API answers everything at once.

mod common;

use axum::http::StatusCode;
use common::*;
use dtsen_web::auth::Role;

#[tokio::test]
async fn members_records_come_with_the_fragment_and_the_api_not_the_page() {
    let places = Places::new();
    let store = store("family-parts", false).await;
    fill(store.as_ref(), &places).await;
    let app = dtsen_web::app(store.clone(), None, Default::default()).expect("app");
    let router = dtsen_web::router(app);
    let role = Role::OperatorKabKota;
    let token = token(&router, &format!("u.{}", role.key()), &password(role)).await;
    let cookie = ("cookie", format!("dtsen_sesi={token}"));
    let (name, _) = member_of(3, places.families()[2].1);

    let (status, _, page) = call(
        &router,
        "GET",
        "/keluarga/35/3",
        std::slice::from_ref(&cookie),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains(&name), "the member is listed");
    assert!(
        page.contains(r#"hx-get="/keluarga/35/3/anggota/3""#),
        "the member's record is one request away"
    );
    assert!(
        !page.contains(r#"data-testid="member-fields""#),
        "the page does not carry the records"
    );

    let htmx = ("hx-request", "true".to_string());
    let (status, _, fragment) = call(
        &router,
        "GET",
        "/keluarga/35/3/anggota/3",
        &[cookie.clone(), htmx],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{fragment}");
    assert!(fragment.contains(r#"data-testid="member-fields""#));
    assert!(!fragment.contains("<html"), "a fragment, not a page");
    for shown in ["Tanggal lahir", "1990-01-01", "SIAK #3", "Laki-laki"] {
        assert!(fragment.contains(shown), "{shown} in {fragment}");
    }
    let (status, _, other) = call(
        &router,
        "GET",
        "/keluarga/35/3/anggota/99",
        std::slice::from_ref(&cookie),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not a member: {other}");

    let bearer = ("authorization", format!("Bearer {token}"));
    let (status, _, json) = call(&router, "GET", "/api/v1/families/35/3", &[bearer], None).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    let fields = v["members"][0]["fields"].as_array().expect("member fields");
    let birth = fields
        .iter()
        .find(|f| f["field"] == "tanggal_lahir")
        .expect("date of birth");
    assert_eq!(birth["value"], "1990-01-01");
    assert_eq!(birth["source"], "SIAK #3");
}
