//! The SGD lab (DESIGN.md section 4): the two-layer ReLU network with identity
//! mapping of Li and Yuan (2017) against the vanilla net, with the traces and phase
//! markers of its two-phase convergence; and saddle-point problems with GD, noisy GD
//! and perturbed GD. Pure computation: no printing, no files except a teacher
//! matrix a run asks to read.

pub mod linalg;
pub mod net;
pub mod saddle;
pub mod trace;
pub mod two_layer;

pub use net::Model;
pub use trace::{Markers, TraceRow};
pub use two_layer::{run as run_two_layer, TwoLayerConfig, TwoLayerRun};

/// Errors of an SGD-lab run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SgdError {
    /// An input the run needs is missing or malformed.
    #[error("{0}")]
    Input(String),
}
