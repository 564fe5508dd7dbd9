//! Page text in Bahasa Indonesia (default) and English. Templates read `t.<key>`.

use std::collections::BTreeMap;
use std::sync::OnceLock;

pub use dtsen_core::codes::Lang;

/// The language a cookie or query value names: Indonesian unless `en`.
pub fn lang_from_code(code: Option<&str>) -> Lang {
    match code {
        Some("en") => Lang::En,
        _ => Lang::Id,
    }
}

/// `id` or `en`.
pub fn lang_code(lang: Lang) -> &'static str {
    match lang {
        Lang::Id => "id",
        Lang::En => "en",
    }
}

/// (key, Indonesian, English).
const TEXTS: &[(&str, &str, &str)] = &[
    ("app", "DTSEN — Data Tunggal Sosial dan Ekonomi Nasional", "DTSEN — National Single Socio-Economic Registry"),
    ("login", "Masuk", "Log in"),
    ("logout", "Keluar", "Log out"),
    ("username", "Nama pengguna", "Username"),
    ("password", "Kata sandi", "Password"),
    ("login_failed", "Nama pengguna atau kata sandi salah.", "Wrong username or password."),
    ("locked", "Akun dikunci sementara karena terlalu banyak percobaan gagal. Coba lagi nanti.", "The account is locked for a while after too many failed attempts. Try again later."),
    ("dashboard", "Dasbor", "Dashboard"),
    ("search", "Cari", "Search"),
    ("search_hint", "NIK (16 digit), nomor KK (16 digit) atau nama", "NIK (16 digits), KK number (16 digits) or name"),
    ("more_results", "Hasil lebih banyak dari yang ditampilkan: persempit pencarian (nama lebih lengkap, NIK atau nomor KK).", "More matched than shown: narrow the search (a fuller name, a NIK or a KK number)."),
    ("no_results", "Tidak ada hasil di wilayah Anda.", "Nothing found in your region."),
    ("audit", "Log akses", "Access log"),
    ("users", "Pengguna", "Users"),
    ("change_password", "Ganti kata sandi", "Change password"),
    ("old_password", "Kata sandi lama", "Current password"),
    ("new_password", "Kata sandi baru", "New password"),
    ("password_changed", "Kata sandi diganti. Silakan masuk lagi.", "Password changed. Please log in again."),
    ("password_too_short", "Kata sandi minimal 10 karakter.", "A password needs at least 10 characters."),
    ("password_too_simple", "Kata sandi harus memakai minimal dua jenis karakter (huruf kecil, huruf besar, angka, simbol).", "A password needs at least two kinds of characters (lower case, upper case, digits, symbols)."),
    ("wrong_old_password", "Kata sandi lama salah.", "The current password is wrong."),
    ("snapshot", "Snapshot", "Snapshot"),
    ("region", "Wilayah", "Region"),
    ("whole_country", "Seluruh Indonesia", "All of Indonesia"),
    ("families", "Keluarga", "Families"),
    ("persons", "Individu", "Persons"),
    ("siak_population", "Penduduk hidup menurut SIAK", "Living residents per SIAK"),
    ("in_dtsen", "Dalam DTSEN", "In DTSEN"),
    ("coverage", "Cakupan", "Coverage"),
    ("needs_check", "Keluarga perlu verifikasi lapangan", "Families needing a field check"),
    ("incomplete", "Keluarga belum lengkap", "Incomplete families"),
    ("deciles", "Sebaran desil nasional (individu)", "National decile distribution (persons)"),
    ("decile", "Desil", "Decile"),
    ("conflicts", "Konflik pemadanan menunggu tinjauan", "Matching conflicts awaiting review"),
    ("conflicts_whole", "untuk seluruh snapshot", "for the whole snapshot"),
    ("subregions", "Wilayah di bawahnya", "Regions within"),
    ("code", "Kode", "Code"),
    ("name", "Nama", "Name"),
    ("family", "Keluarga", "Family"),
    ("members", "Anggota keluarga", "Family members"),
    ("relationship", "Hubungan", "Relationship"),
    ("birth_date", "Tanggal lahir", "Date of birth"),
    ("sex", "Jenis kelamin", "Sex"),
    ("status", "Status", "Status"),
    ("alive", "Hidup", "Alive"),
    ("deceased", "Meninggal", "Deceased"),
    ("pregnant", "Hamil", "Pregnant"),
    ("disability", "Disabilitas", "Disability"),
    ("padan", "Padan Dukcapil", "Matches Dukcapil"),
    ("housing", "Perumahan dan aset", "Housing and assets"),
    ("field", "Isian", "Field"),
    ("value", "Nilai", "Value"),
    ("source", "Sumber", "Source"),
    ("other_values", "Nilai lain dari sumber lain", "Other values from other sources"),
    ("explanation", "Penjelasan desil", "Why this decile"),
    ("no_model", "Model peringkat tidak dimuat di server ini; penjelasan tidak tersedia.", "The ranking model is not loaded on this server; no explanation available."),
    ("not_ranked", "Belum diperingkat", "Not ranked"),
    ("history", "Riwayat antar snapshot", "History across snapshots"),
    ("kk_history", "Riwayat nomor KK", "KK number history"),
    ("membership_history", "Riwayat keanggotaan", "Membership history"),
    ("from", "Mulai", "From"),
    ("to", "Sampai", "To"),
    ("completeness", "Kelengkapan", "Completeness"),
    ("address", "Alamat", "Address"),
    ("masked_note", "NIK dan KK disamarkan untuk peran Anda.", "NIK and KK are masked for your role."),
    ("not_found", "Tidak ditemukan (atau di luar wilayah Anda).", "Not found (or outside your region)."),
    ("forbidden", "Peran Anda tidak membuka halaman ini.", "Your role does not open this page."),
    ("when", "Waktu", "When"),
    ("who", "Siapa", "Who"),
    ("action", "Tindakan", "Action"),
    ("object", "Objek", "Object"),
    ("from_address", "Alamat IP", "Address"),
    ("chain_ok", "Rantai hash utuh", "Hash chain intact"),
    ("chain_broken", "Rantai hash rusak pada entri", "Hash chain broken at entry"),
    ("older", "Lebih lama", "Older"),
    ("role", "Peran", "Role"),
    ("add_user", "Tambah pengguna", "Add user"),
    ("display_name", "Nama lengkap", "Full name"),
    ("save", "Simpan", "Save"),
    ("saved", "Tersimpan.", "Saved."),
    ("bad_request", "Permintaan tidak valid", "Invalid request"),
    ("language", "English", "Bahasa Indonesia"),
    ("no_snapshot", "Belum ada snapshot di basis data ini.", "There is no snapshot in this database yet."),
    ("score", "Skor (posisi relatif 0–100)", "Score (relative position 0–100)"),
    ("desil_nasional", "Desil nasional", "National decile"),
    ("desil_provinsi", "Desil provinsi", "Provincial decile"),
    ("desil_kabkota", "Desil kabupaten/kota", "Regency/city decile"),
    ("open", "Buka", "Open"),
    ("up", "Naik ke", "Up to"),
    ("model", "Model", "Model"),
    ("baseline", "Dasar (rata-rata)", "Baseline (average)"),
    ("contribution", "Kontribusi", "Contribution"),
];

/// The page texts of a language.
pub fn texts(lang: Lang) -> &'static BTreeMap<&'static str, &'static str> {
    static ID: OnceLock<BTreeMap<&str, &str>> = OnceLock::new();
    static EN: OnceLock<BTreeMap<&str, &str>> = OnceLock::new();
    type Text = (&'static str, &'static str, &'static str);
    let (cell, pick): (_, fn(&Text) -> &'static str) = match lang {
        Lang::Id => (&ID, |t| t.1),
        Lang::En => (&EN, |t| t.2),
    };
    cell.get_or_init(|| TEXTS.iter().map(|t| (t.0, pick(t))).collect())
}

/// One text.
pub fn t(lang: Lang, key: &str) -> &'static str {
    texts(lang).get(key).copied().unwrap_or("?")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_once_and_both_languages_filled() {
        let mut seen = std::collections::HashSet::new();
        for (k, id, en) in TEXTS {
            assert!(seen.insert(*k), "{k} twice");
            assert!(!id.is_empty() && !en.is_empty(), "{k} empty");
        }
        assert_eq!(t(Lang::Id, "login"), "Masuk");
        assert_eq!(t(Lang::En, "login"), "Log in");
    }
}
