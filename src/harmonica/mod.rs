//! The Harmonica algorithm (Hazan, Klivans and Yuan, ICLR 2018), pure: no I/O,
//! no clock, and no threads beyond the data parallelism of the Lasso's passes
//! ([`lasso`]), whose results do not depend on the thread count.

pub mod base;
pub mod engine;
pub mod features;
pub mod lasso;
pub mod minimize;
pub mod recovery;

pub use engine::{Engine, EngineError, Event, Outcome, Phase, StageReport, Trial, TrialRequest};
