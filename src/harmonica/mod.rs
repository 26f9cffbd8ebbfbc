//! The Harmonica algorithm (Hazan, Klivans and Yuan, ICLR 2018), pure: no I/O,
//! no threads, no clock.

pub mod base;
pub mod engine;
pub mod features;
pub mod lasso;
pub mod minimize;
pub mod recovery;

pub use engine::{Engine, EngineError, Event, Outcome, Phase, StageReport, Trial, TrialRequest};
