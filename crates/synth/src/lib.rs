//! Synthetic DTSEN sources with ground truth, deterministic by seed, at any scale.
//!
//! [`generate`] writes every file of `shared/formats.md` for a village, a regency, a province
//! or the whole country: the civil registry (SIAK), Regsosek 2022, DTKS, P3KE, the supporting
//! lists, a Susenas-style survey sample, and the truth files that say which person and family
//! each row really is and which errors were put into it.
//!
//! The work is split by village (each from its own random stream), so the output does not
//! depend on the number of threads; memory is bounded by a window of villages, not by the
//! size of the selection.

pub mod config;
pub mod names;
pub mod population;
pub mod rng;
pub mod sources;
pub mod world;

mod driver;

pub use config::{Config, Rates};
pub use driver::{generate, Progress, Report, SynthError};
pub use sources::{ErrorKind, Source};
