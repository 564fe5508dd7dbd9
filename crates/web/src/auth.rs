//! Who may do what: roles (*peran*), the region an account is bound to, passwords, tokens.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use dtsen_core::{Level, RegionCode};
use dtsen_store::VillageRange;
use sha2::{Digest, Sha256};

/// The roles of the tiered platform (brief §11.10), from the village up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Village/ward operator (*operator desa/kelurahan*): one village.
    OperatorDesa,
    /// Social facilitator (*pendamping sosial*, PKH/TKSK): one district.
    Pendamping,
    /// Regency/city Dinas Sosial operator (*operator kabupaten/kota*).
    OperatorKabKota,
    /// Regency/city verifier (*verifikator kabupaten/kota*).
    VerifikatorKabKota,
    /// Regent or mayor approving the quarterly list (*bupati/wali kota*).
    PimpinanDaerah,
    /// Province Dinas Sosial (*provinsi*): monitors and forwards.
    Provinsi,
    /// Ministry of Social Affairs data centre (*Kemensos, Pusdatin*).
    Kemensos,
    /// Statistics office (*BPS*).
    Bps,
    /// Auditor (*BPKP*): reads the audit log.
    Auditor,
    /// Administrator: manages accounts, reads no personal data.
    Admin,
}

impl Role {
    /// Every role, in the order pages list them.
    pub const ALL: [Role; 10] = [
        Role::OperatorDesa,
        Role::Pendamping,
        Role::OperatorKabKota,
        Role::VerifikatorKabKota,
        Role::PimpinanDaerah,
        Role::Provinsi,
        Role::Kemensos,
        Role::Bps,
        Role::Auditor,
        Role::Admin,
    ];

    /// The key stored in the database and used on the command line.
    pub fn key(self) -> &'static str {
        match self {
            Role::OperatorDesa => "operator_desa",
            Role::Pendamping => "pendamping",
            Role::OperatorKabKota => "operator_kabkota",
            Role::VerifikatorKabKota => "verifikator_kabkota",
            Role::PimpinanDaerah => "pimpinan_daerah",
            Role::Provinsi => "provinsi",
            Role::Kemensos => "kemensos",
            Role::Bps => "bps",
            Role::Auditor => "auditor",
            Role::Admin => "admin",
        }
    }

    /// The role with this key.
    pub fn from_key(key: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.key() == key)
    }

    /// The role's name on pages.
    pub fn label(self, lang: dtsen_core::codes::Lang) -> &'static str {
        use dtsen_core::codes::Lang::*;
        match (self, lang) {
            (Role::OperatorDesa, Id) => "Operator desa/kelurahan",
            (Role::OperatorDesa, En) => "Village/ward operator",
            (Role::Pendamping, Id) => "Pendamping sosial",
            (Role::Pendamping, En) => "Social facilitator",
            (Role::OperatorKabKota, Id) => "Operator Dinas Sosial kabupaten/kota",
            (Role::OperatorKabKota, En) => "Regency/city operator",
            (Role::VerifikatorKabKota, Id) => "Verifikator kabupaten/kota",
            (Role::VerifikatorKabKota, En) => "Regency/city verifier",
            (Role::PimpinanDaerah, Id) => "Bupati/wali kota (pengesahan)",
            (Role::PimpinanDaerah, En) => "Regent/mayor (approval)",
            (Role::Provinsi, Id) => "Dinas Sosial provinsi",
            (Role::Provinsi, En) => "Province",
            (Role::Kemensos, Id) => "Kementerian Sosial",
            (Role::Kemensos, En) => "Ministry of Social Affairs",
            (Role::Bps, Id) => "Badan Pusat Statistik",
            (Role::Bps, En) => "Statistics office",
            (Role::Auditor, Id) => "Auditor",
            (Role::Auditor, En) => "Auditor",
            (Role::Admin, Id) => "Administrator",
            (Role::Admin, En) => "Administrator",
        }
    }

    /// The level of region the role is bound to; `None`: the whole country or any region.
    pub fn level(self) -> Option<Level> {
        match self {
            Role::OperatorDesa => Some(Level::Village),
            Role::Pendamping => Some(Level::District),
            Role::OperatorKabKota | Role::VerifikatorKabKota | Role::PimpinanDaerah => {
                Some(Level::Regency)
            }
            Role::Provinsi => Some(Level::Province),
            Role::Kemensos | Role::Bps | Role::Auditor | Role::Admin => None,
        }
    }

    /// Whether the role opens family records and searches persons.
    pub fn reads_records(self) -> bool {
        !matches!(self, Role::Admin)
    }

    /// Whether the role sees NIK and KK in full (the rest see `3571************`).
    pub fn sees_full_ids(self) -> bool {
        matches!(
            self,
            Role::OperatorDesa
                | Role::Pendamping
                | Role::OperatorKabKota
                | Role::VerifikatorKabKota
                | Role::Kemensos
                | Role::Bps
        )
    }

    /// Whether the role reads the audit log.
    pub fn reads_audit(self) -> bool {
        matches!(self, Role::Auditor)
    }

    /// Whether the role manages accounts (within its region).
    pub fn manages_users(self) -> bool {
        matches!(self, Role::Admin)
    }
}

/// The region an account may see: a region and everything in it, or the whole country.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scope(pub Option<RegionCode>);

impl Scope {
    /// Parses the stored form: digits of a region code, or empty for the whole country.
    pub fn parse(stored: &str) -> Option<Scope> {
        if stored.is_empty() {
            return Some(Scope(None));
        }
        RegionCode::parse(stored).ok().map(|r| Scope(Some(r)))
    }

    /// The stored form.
    pub fn stored(self) -> String {
        self.0.map(|r| r.digits()).unwrap_or_default()
    }

    /// Whether a region lies inside (the region itself or one of its descendants).
    pub fn covers(self, region: RegionCode) -> bool {
        match self.0 {
            None => true,
            Some(own) => own == region || own.contains(&region),
        }
    }

    /// Whether a village code (10 digits) lies inside.
    pub fn covers_village(self, kode_desa: &str) -> bool {
        self.range().contains(kode_desa)
    }

    /// The villages the scope covers, for the store's queries.
    pub fn range(self) -> VillageRange {
        match self.0 {
            None => VillageRange::everywhere(),
            Some(r) => VillageRange::of(r),
        }
    }
}

/// Checks that a role may be bound to a region.
pub fn check_binding(role: Role, scope: Scope) -> Result<(), String> {
    match (role.level(), scope.0) {
        (None, _) => Ok(()),
        (Some(level), Some(r)) if r.level() == level => Ok(()),
        (Some(level), _) => Err(format!(
            "role {} is bound to one region at level {level:?} (for example 35.71 for a regency, 35.71.01 for a district, 35.71.01.1001 for a village)",
            role.key()
        )),
    }
}

/// Hashes a password with argon2id (the crate's defaults: 19 MiB, 2 passes).
pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("hashing the password failed: {e}"))
}

/// Checks a password against its stored hash.
pub fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A random token: 32 bytes from the operating system, hex.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    OsRng.fill_bytes(&mut b);
    hex(&b)
}

/// SHA-256, hex.
pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    const D: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(D[(b >> 4) as usize] as char);
        s.push(D[(b & 15) as usize] as char);
    }
    s
}

/// Compares two strings in time independent of where they differ.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A password acceptable for an official's account: at least 10 characters, not all one kind.
pub fn check_password_strength(password: &str) -> Result<(), &'static str> {
    if password.chars().count() < 10 {
        return Err("password_too_short");
    }
    let kinds = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|k| **k)
    .count();
    if kinds < 2 {
        return Err("password_too_simple");
    }
    Ok(())
}

/// Masks an identifier for roles that do not need it in full: the first four digits kept.
pub fn mask(id: &str) -> String {
    let n = id.chars().count();
    if n <= 4 {
        return "*".repeat(n);
    }
    let head: String = id.chars().take(4).collect();
    format!("{head}{}", "*".repeat(n - 4))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_and_wrong_ones_do_not() {
        let h = hash_password("Kediri-2026!").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("Kediri-2026!", &h));
        assert!(!verify_password("kediri-2026!", &h));
        assert!(!verify_password("Kediri-2026!", "not a hash"));
    }

    #[test]
    fn scope_covers_its_descendants_only() {
        let kediri = Scope::parse("3571").expect("scope");
        assert!(kediri.covers(RegionCode::parse("35.71.01").expect("code")));
        assert!(kediri.covers(RegionCode::parse("3571").expect("code")));
        assert!(!kediri.covers(RegionCode::parse("35").expect("code")));
        assert!(!kediri.covers(RegionCode::parse("35.72").expect("code")));
        assert!(kediri.covers_village("3571011001"));
        assert!(!kediri.covers_village("3572011001"));
        assert!(Scope(None).covers_village("1101012001"));
    }

    #[test]
    fn roles_bind_to_their_level() {
        let village = Scope::parse("3571011001").expect("scope");
        let regency = Scope::parse("3571").expect("scope");
        assert!(check_binding(Role::OperatorDesa, village).is_ok());
        assert!(check_binding(Role::OperatorDesa, regency).is_err());
        assert!(check_binding(Role::OperatorKabKota, regency).is_ok());
        assert!(check_binding(Role::Provinsi, Scope(None)).is_err());
        assert!(check_binding(Role::Kemensos, Scope(None)).is_ok());
        for r in Role::ALL {
            assert_eq!(Role::from_key(r.key()), Some(r));
        }
    }

    proptest::proptest! {
        /// The range a scope hands to the SQL holds exactly the villages the region tree puts
        /// inside it, for every scope level and every village of the official table.
        #[test]
        fn the_sql_range_is_the_region_tree(v in 0usize..83_762, level in 0usize..5) {
            let t = dtsen_core::RegionTable::official();
            let villages = t.level(Level::Village);
            let village = villages[v % villages.len()].code;
            let other = villages[(v * 7919 + 13) % villages.len()].code;
            let scope = match level {
                0 => Scope(None),
                1 => Scope(village.ancestor(Level::Province)),
                2 => Scope(village.ancestor(Level::Regency)),
                3 => Scope(village.ancestor(Level::District)),
                _ => Scope(Some(village)),
            };
            proptest::prop_assert!(scope.covers_village(&village.digits()));
            proptest::prop_assert_eq!(scope.covers_village(&other.digits()), scope.covers(other));
        }
    }

    #[test]
    fn masks_keep_four_digits() {
        assert_eq!(mask("3571010101900001"), "3571************");
        assert_eq!(mask("12"), "**");
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
        assert!(check_password_strength("short1").is_err());
        assert!(check_password_strength("alllowercaseletters").is_err());
        assert!(check_password_strength("Kediri-2026!").is_ok());
    }
}
