//! A small registry with families in a village, its sibling village, a sibling district, a
//! sibling regency and another province, and one account per role; on SQLite, or on
//! PostgreSQL when `DTSEN_TEST_PG` names a server.

#![allow(dead_code)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use dtsen_core::{Level, RegionCode, RegionTable};
use dtsen_store::{PersonRow, SnapshotFamilyRow, SnapshotMemberRow, Store};
use dtsen_web::auth::Role;
use std::sync::Arc;
use tower::ServiceExt;

/// Where the fixture's families live.
pub struct Places {
    /// Own village (operator's).
    pub village: RegionCode,
    /// Another village of the same district.
    pub sibling_village: RegionCode,
    /// The district.
    pub district: RegionCode,
    /// Another district of the regency.
    pub sibling_district: RegionCode,
    /// The regency (35.71).
    pub regency: RegionCode,
    /// Another regency of the province (35.72).
    pub sibling_regency: RegionCode,
    /// The province (35).
    pub province: RegionCode,
    /// Another province (33).
    pub sibling_province: RegionCode,
}

impl Places {
    pub fn new() -> Places {
        let t = RegionTable::official();
        let code = |s: &str| RegionCode::parse(s).expect("region code");
        let district = code("35.71.01");
        let villages = t.within(district, Level::Village);
        Places {
            village: villages[0].code,
            sibling_village: villages[1].code,
            district,
            sibling_district: code("35.71.02"),
            regency: code("35.71"),
            sibling_regency: code("35.72"),
            province: code("35"),
            sibling_province: code("33"),
        }
    }

    /// The family fixture: (family id, its village).
    pub fn families(&self) -> Vec<(i64, RegionCode)> {
        let t = RegionTable::official();
        let first = |r: RegionCode| t.within(r, Level::Village)[0].code;
        vec![
            (1, self.village),
            (2, self.sibling_village),
            (3, first(self.sibling_district)),
            (4, first(self.sibling_regency)),
            (5, first(self.sibling_province)),
        ]
    }

    /// The region each role's account is bound to.
    pub fn region_of(&self, role: Role) -> Option<RegionCode> {
        match role.level() {
            Some(Level::Village) => Some(self.village),
            Some(Level::District) => Some(self.district),
            Some(Level::Regency) => Some(self.regency),
            Some(Level::Province) => Some(self.province),
            None => None,
        }
    }
}

/// A family's member: name and NIK.
pub fn member_of(id: i64, village: RegionCode) -> (String, String) {
    let digits = village.digits();
    (
        format!(
            "WARGA NOMOR {}",
            ["", "SATU", "DUA", "TIGA", "EMPAT", "LIMA"][id as usize]
        ),
        format!("{}0101900{id:03}", &digits[..6]),
    )
}

pub fn password(role: Role) -> String {
    format!("Uji-{}-2026!", role.key())
}

/// Opens a fresh store for `name` on the backend the environment picks.
pub async fn store(name: &str, postgres: bool) -> Arc<dyn Store> {
    let store = if postgres {
        let admin = std::env::var("DTSEN_TEST_PG").expect("DTSEN_TEST_PG");
        let url = dtsen_store::create_test_database(&admin, name)
            .await
            .expect("test database");
        dtsen_store::open(&url).await.expect("open postgres")
    } else {
        // Inside this checkout's target directory, one per test: a later run replaces it.
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("web-{name}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("r.db");
        dtsen_store::open(&format!("sqlite://{}", path.display()))
            .await
            .expect("open sqlite")
    };
    store.migrate().await.expect("migrate");
    store
}

/// Fills the store: regions, persons, a published snapshot with its report, one account per role.
pub async fn fill(store: &dyn Store, places: &Places) {
    store
        .load_regions(RegionTable::official())
        .await
        .expect("regions");
    let fams = places.families();
    let persons: Vec<PersonRow> = fams
        .iter()
        .map(|(id, v)| {
            let (name, _) = member_of(*id, *v);
            PersonRow {
                kode_provinsi: format!("{:02}", v.parts()[0]),
                id: *id,
                nik: None,
                nik_raw: None,
                name_std: name.clone(),
                name,
                birth_date: Some("1990-01-01".into()),
                sex: Some(1),
                death_date: None,
                kode_desa: Some(v.digits()),
            }
        })
        .collect();
    store.bulk_persons(&persons).await.expect("persons");
    store
        .create_snapshot("2026Q3", None)
        .await
        .expect("snapshot");
    let families: Vec<SnapshotFamilyRow> = fams
        .iter()
        .map(|(id, v)| SnapshotFamilyRow {
            kode_provinsi: format!("{:02}", v.parts()[0]),
            family_id: *id,
            kk: Some(format!("{}0101000{id:03}", &v.digits()[..6])),
            kode_desa: v.digits(),
            members: 1,
            score: Some(50.0),
            rank_national: Some(*id),
            desil_nasional: Some(*id as i16),
            desil_provinsi: Some(*id as i16),
            desil_kabupaten_kota: Some(*id as i16),
            status_kelengkapan: Some("lengkap".into()),
            attrs: Some(r#"{"v":["JL. UJI 1"],"s":["siak:1"],"a":"0","kepala":"KEPALA"}"#.into()),
        })
        .collect();
    store
        .add_snapshot_families("2026Q3", &families)
        .await
        .expect("families");
    let members: Vec<SnapshotMemberRow> = fams
        .iter()
        .map(|(id, v)| {
            let (name, nik) = member_of(*id, *v);
            SnapshotMemberRow {
                kode_provinsi: format!("{:02}", v.parts()[0]),
                family_id: *id,
                person_id: *id,
                nik: Some(nik),
                relationship: Some(1),
                status_padan: Some("padan".into()),
                alive: true,
                attrs: Some(format!(
                    r#"{{"v":["{name}","1990-01-01","1"],"s":["siak:{id}"],"a":"000","sumber_data":["siak"]}}"#
                )),
            }
        })
        .collect();
    store
        .add_snapshot_members("2026Q3", &members)
        .await
        .expect("members");
    let report = serde_json::json!({
        "format": "dtsen-consolidation-report/1",
        "snapshot": "2026Q3",
        "as_of": "2026-09-30",
        "schema": {"person": ["nama", "tanggal_lahir", "jenis_kelamin"], "family": ["alamat"]},
        "conflicts": {"review_pemadanan": 7},
        "coverage": {"regency": [], "district": [], "province": []}
    });
    store
        .save_snapshot_report("2026Q3", &report.to_string())
        .await
        .expect("report");
    store.publish_snapshot("2026Q3").await.expect("publish");
    for role in Role::ALL {
        let region = places
            .region_of(role)
            .map(|r| r.to_string())
            .unwrap_or_default();
        dtsen_web::create_user(
            store,
            &format!("u.{}", role.key()),
            &format!("Uji {}", role.key()),
            role,
            &region,
            &password(role),
        )
        .await
        .expect("user");
    }
}

/// Sends a request to the router; returns status, headers and body.
pub async fn call(
    router: &axum::Router,
    method: &str,
    uri: &str,
    headers: &[(&str, String)],
    body: Option<(&str, String)>,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let mut req = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let req = match body {
        Some((kind, b)) => req
            .header("content-type", kind)
            .body(Body::from(b))
            .expect("request"),
        None => req.body(Body::empty()).expect("request"),
    };
    let resp = router.clone().oneshot(req).await.expect("response");
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = axum::body::to_bytes(resp.into_body(), 10 << 20)
        .await
        .expect("body");
    (
        status,
        headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

/// Logs in through the API; returns the token.
pub async fn token(router: &axum::Router, username: &str, password: &str) -> String {
    let (status, _, body) = call(
        router,
        "POST",
        "/api/v1/session",
        &[],
        Some((
            "application/json",
            serde_json::json!({"username": username, "password": password}).to_string(),
        )),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "login {username}: {body}");
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    v["token"].as_str().expect("token").to_string()
}
