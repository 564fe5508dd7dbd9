//! Persons and families as the registry holds them once their identifiers are parsed.

use crate::codes::{MaritalStatus, Relationship};
use crate::date::Date;
use crate::nik::{KkNumber, Nik, Sex};
use crate::region::RegionCode;

/// Alive or deceased, as the civil registry records it (`STATUS_HIDUP`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LifeStatus {
    /// *HIDUP*.
    Alive,
    /// *MATI*, with the date of death where known.
    Deceased(Option<Date>),
}

/// A person (*individu*). Keyed on NIK where one is known and valid; KK membership lives in
/// [`Family`] because KK numbers change.
#[derive(Clone, Debug, PartialEq)]
pub struct Person {
    /// National identity number, if known and valid.
    pub nik: Option<Nik>,
    /// Full name as registered, upper case (*nama lengkap*).
    pub name: String,
    /// Place of birth (*tempat lahir*).
    pub birth_place: String,
    /// Date of birth; `None` where unknown.
    pub birth_date: Option<Date>,
    /// Sex.
    pub sex: Sex,
    /// Relationship to the head of family (SHDK).
    pub relationship: Relationship,
    /// Marital status.
    pub marital_status: MaritalStatus,
    /// Religion code (Dukcapil 1–7).
    pub religion: u8,
    /// Last education code (Dukcapil `PDDK_AKH` 1–10).
    pub education: u8,
    /// Occupation code (Dukcapil `JENIS_PKRJN`).
    pub occupation: u8,
    /// Alive or deceased.
    pub life: LifeStatus,
}

/// A family (*keluarga*): the people on one family card at one address.
#[derive(Clone, Debug, PartialEq)]
pub struct Family {
    /// Family-card number, if known and valid.
    pub kk: Option<KkNumber>,
    /// Village/ward of residence.
    pub village: RegionCode,
    /// Street address (*alamat*).
    pub address: String,
    /// Neighbourhood unit (*RT*), free text in the sources.
    pub rt: String,
    /// Community unit (*RW*), free text in the sources.
    pub rw: String,
    /// Members, head first.
    pub members: Vec<Person>,
}

impl Family {
    /// The head of family: the member coded as head, else the first member.
    pub fn head(&self) -> Option<&Person> {
        self.members
            .iter()
            .find(|p| p.relationship == Relationship::Head)
            .or_else(|| self.members.first())
    }

    /// Members alive on the family card.
    pub fn living_members(&self) -> impl Iterator<Item = &Person> {
        self.members.iter().filter(|p| p.life == LifeStatus::Alive)
    }
}
