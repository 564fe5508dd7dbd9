//! DTSEN domain core: identifiers (NIK, KK number), administrative region codes with the
//! official region table, code lists, persons and families. No I/O: the reference data is
//! embedded at build time.

pub mod codes;
pub mod date;
pub mod names;
pub mod nik;
pub mod person;
pub mod region;

pub use codes::{CodeBook, CodeList, Lang, MaritalStatus, Relationship};
pub use date::Date;
pub use names::{standardise, NameRules, StdName};
pub use nik::{is_missing_id, KkError, KkNumber, Nik, NikError, NikWarning, Sex};
pub use person::{Family, LifeStatus, Person};
pub use region::{
    Level, PrefixStatus, Region, RegionCode, RegionCodeError, RegionKind, RegionTable,
};
