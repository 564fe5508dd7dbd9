//! The DTSEN export (`../shared/formats.md`, brief §4.4): `keluarga_dtsen_<S>.csv` and
//! `anggota_dtsen_<S>.csv`, pipe-separated UTF-8 with a header row, written from a stored
//! snapshot (what the export says is what the registry holds).

use std::path::{Path, PathBuf};

use dtsen_store::Store;
use serde_json::Value as Json;

use crate::{ConsolidateError, Result};

/// The family file's columns, in order (formats.md).
pub const FAMILY_COLUMNS: [&str; 49] = [
    "id_keluarga_dtsen",
    "nomor_kartu_keluarga",
    "nama_kepala_keluarga",
    "jumlah_anggota_keluarga",
    "kode_provinsi",
    "kode_kabupaten_kota",
    "kode_kecamatan",
    "kode_kelurahan_desa",
    "alamat",
    "rt",
    "rw",
    "latitude",
    "longitude",
    "status_kepemilikan_rumah",
    "luas_lantai",
    "jenis_lantai_terluas",
    "jenis_dinding_terluas",
    "jenis_atap_terluas",
    "sumber_air_minum_utama",
    "sumber_penerangan_utama",
    "daya_terpasang",
    "bahan_bakar_utama_memasak",
    "fasilitas_bab",
    "jenis_kloset",
    "pembuangan_akhir_tinja",
    "aset_bergerak_tabung_gas",
    "aset_bergerak_lemari_es",
    "aset_bergerak_ac",
    "aset_bergerak_pemanas_air",
    "aset_bergerak_telepon_rumah",
    "aset_bergerak_tv_datar",
    "aset_bergerak_emas_perhiasan",
    "aset_bergerak_komputer_laptop_tablet",
    "aset_bergerak_sepeda_motor",
    "aset_bergerak_sepeda",
    "aset_bergerak_mobil",
    "aset_bergerak_perahu",
    "aset_bergerak_kapal_perahu_motor",
    "aset_bergerak_smartphone",
    "aset_tidak_bergerak_lahan_lainnya",
    "aset_tidak_bergerak_rumah_lainnya",
    "jumlah_ternak_sapi",
    "jumlah_ternak_kerbau",
    "jumlah_ternak_kuda",
    "jumlah_ternak_babi",
    "jumlah_ternak_kambing_domba",
    "skor_kesejahteraan",
    "peringkat_nasional",
    "desil_nasional",
];

/// The family file's last columns (after [`FAMILY_COLUMNS`]).
pub const FAMILY_COLUMNS_TAIL: [&str; 4] = [
    "desil_provinsi",
    "desil_kabupaten_kota",
    "versi_model",
    "status_kelengkapan",
];

/// The ten functional-difficulty fields of the member file (brief §4.4), in its order.
pub const DIFFICULTY: [&str; 10] = [
    "penglihatan",
    "pendengaran",
    "berjalan_atau_naik_tangga",
    "menggunakan_tangan_jari",
    "mengingat_berkonsentrasi",
    "mengurus_diri",
    "berbicara_komunikasi",
    "belajar_kemampuan_intelektual",
    "pengendalian_perilaku",
    "kesedihan_depresi",
];

/// The member file's columns, in order (formats.md).
pub const MEMBER_COLUMNS: [&str; 30] = [
    "nomor_induk_kependudukan",
    "nomor_kartu_keluarga",
    "id_keluarga_dtsen",
    "nama",
    "tempat_lahir",
    "tanggal_lahir",
    "jenis_kelamin",
    "status_kawin",
    "status_hubungan_keluarga",
    "status_hamil",
    "partisipasi_sekolah",
    "ijazah_tertinggi_yang_dimiliki",
    "status_bekerja",
    "lapangan_usaha_dari_pekerjaan_utama",
    "status_dalam_pekerjaan_utama",
    "kepemilikan_usaha",
    DIFFICULTY[0],
    DIFFICULTY[1],
    DIFFICULTY[2],
    DIFFICULTY[3],
    DIFFICULTY[4],
    DIFFICULTY[5],
    DIFFICULTY[6],
    DIFFICULTY[7],
    DIFFICULTY[8],
    DIFFICULTY[9],
    "penyakit_kronis",
    "status_padan_dukcapil",
    "status_keberadaan",
    "sumber_data",
];

/// The family file's full header.
pub fn family_header() -> Vec<&'static str> {
    FAMILY_COLUMNS
        .iter()
        .chain(FAMILY_COLUMNS_TAIL.iter())
        .copied()
        .collect()
}

fn parse(attrs: Option<&str>) -> Json {
    attrs
        .and_then(|a| serde_json::from_str(a).ok())
        .unwrap_or(Json::Null)
}

fn value_of(fields: &[crate::persist::Field], name: &str) -> String {
    fields
        .iter()
        .find(|f| f.name == name)
        .and_then(|f| f.value.clone())
        .unwrap_or_default()
}

fn text(v: Option<&Json>) -> String {
    match v {
        Some(Json::String(s)) => s.clone(),
        Some(Json::Number(n)) => n.to_string(),
        Some(Json::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

/// The files written and their row counts.
#[derive(Clone, Debug, PartialEq)]
pub struct Exported {
    /// The family file.
    pub families_file: PathBuf,
    /// Families written.
    pub families: u64,
    /// The member file.
    pub members_file: PathBuf,
    /// Members written.
    pub members: u64,
}

/// Families read per page.
const PAGE: i64 = 20_000;

/// Writes snapshot `id` from the store into `out`.
pub async fn export(
    store: &dyn Store,
    id: &str,
    model_version: Option<&str>,
    out: &Path,
) -> Result<Exported> {
    if store.snapshot_status(id).await?.is_none() {
        return Err(ConsolidateError::Snapshot(format!(
            "snapshot {id} does not exist in this database; run dtsen consolidate first"
        )));
    }
    std::fs::create_dir_all(out).map_err(|source| ConsolidateError::Io {
        path: out.display().to_string(),
        source,
    })?;
    let (schema, _) = crate::ranking::layout(store, id).await?;
    let model_version = match model_version {
        Some(v) => Some(v.to_owned()),
        None => store.snapshot_model(id).await?,
    };
    let model_version = model_version.as_deref();
    let families_file = out.join(format!("keluarga_dtsen_{id}.csv"));
    let members_file = out.join(format!("anggota_dtsen_{id}.csv"));
    let err = |p: &Path| {
        let p = p.display().to_string();
        move |e: csv::Error| ConsolidateError::Input(format!("{p}: {e}"))
    };
    let writer = |p: &Path| {
        csv::WriterBuilder::new()
            .delimiter(b'|')
            .quote_style(csv::QuoteStyle::Necessary)
            .from_path(p)
            .map_err(err(p))
    };
    let mut fw = writer(&families_file)?;
    let header = family_header();
    fw.write_record(&header).map_err(err(&families_file))?;
    let mut mw = writer(&members_file)?;
    mw.write_record(MEMBER_COLUMNS)
        .map_err(err(&members_file))?;
    let opt = |v: Option<String>| v.unwrap_or_default();
    let (mut n_families, mut n_members) = (0u64, 0u64);
    // Page by page (families in key order, then their members), so memory is one page's
    // whatever the snapshot's size; the files are in (province, family, person) order.
    let mut after: (String, i64) = (String::new(), i64::MIN);
    loop {
        let families = store
            .snapshot_families_page(id, (&after.0, after.1), PAGE)
            .await?;
        let Some(last) = families.last() else {
            break;
        };
        after = (last.kode_provinsi.clone(), last.family_id);
        let mut members = Vec::new();
        for same in families.chunk_by(|a, b| a.kode_provinsi == b.kode_provinsi) {
            let (lo, hi) = (same[0].family_id, same[same.len() - 1].family_id);
            members.extend(
                store
                    .snapshot_members_between(id, &same[0].kode_provinsi, lo, hi)
                    .await?,
            );
        }
        for f in &families {
            let attrs = parse(f.attrs.as_deref());
            let fields = crate::persist::decode(&attrs, &schema.family);
            let field = |name: &str| value_of(&fields, name);
            let desa = f.kode_desa.as_str();
            let row: Vec<String> = header
                .iter()
                .map(|&c| match c {
                    "id_keluarga_dtsen" => f.family_id.to_string(),
                    "nomor_kartu_keluarga" => opt(f.kk.clone()),
                    "jumlah_anggota_keluarga" => f.members.to_string(),
                    "kode_provinsi" => desa.get(..2).unwrap_or("").to_owned(),
                    "kode_kabupaten_kota" => desa.get(..4).unwrap_or("").to_owned(),
                    "kode_kecamatan" => desa.get(..6).unwrap_or("").to_owned(),
                    "kode_kelurahan_desa" => desa.to_owned(),
                    "skor_kesejahteraan" => opt(f.score.map(|s| format!("{s:.2}"))),
                    "peringkat_nasional" => opt(f.rank_national.map(|r| r.to_string())),
                    "desil_nasional" => opt(f.desil_nasional.map(|d| d.to_string())),
                    "desil_provinsi" => opt(f.desil_provinsi.map(|d| d.to_string())),
                    "desil_kabupaten_kota" => opt(f.desil_kabupaten_kota.map(|d| d.to_string())),
                    "versi_model" => {
                        if f.score.is_some() {
                            model_version.unwrap_or("").to_owned()
                        } else {
                            String::new()
                        }
                    }
                    "status_kelengkapan" => opt(f.status_kelengkapan.clone()),
                    "nama_kepala_keluarga" => text(attrs.get("kepala")),
                    other => field(other),
                })
                .collect();
            fw.write_record(&row).map_err(err(&families_file))?;
        }
        for m in &members {
            let attrs = parse(m.attrs.as_deref());
            let fields = crate::persist::decode(&attrs, &schema.person);
            let field = |name: &str| value_of(&fields, name);
            let row: Vec<String> = MEMBER_COLUMNS
                .iter()
                .map(|&c| match c {
                    "nomor_induk_kependudukan" => opt(m.nik.clone()),
                    "id_keluarga_dtsen" => m.family_id.to_string(),
                    "status_hubungan_keluarga" => opt(m.relationship.map(|r| r.to_string())),
                    "status_padan_dukcapil" => opt(m.status_padan.clone()),
                    "nomor_kartu_keluarga" => text(attrs.get("kk")),
                    "status_keberadaan" => text(attrs.get("keberadaan")),
                    "sumber_data" => text(attrs.get("sumber_data")),
                    other => field(other),
                })
                .collect();
            mw.write_record(&row).map_err(err(&members_file))?;
        }
        n_families += families.len() as u64;
        n_members += members.len() as u64;
    }
    for (mut w, path) in [(fw, &families_file), (mw, &members_file)] {
        w.flush().map_err(|source| ConsolidateError::Io {
            path: path.display().to_string(),
            source,
        })?;
    }
    Ok(Exported {
        families_file,
        families: n_families,
        members_file,
        members: n_members,
    })
}
