//! The Jupyter front end over the session core: the messaging protocol (5.3) over
//! ZeroMQ, and the kernelspec that makes Jupyter find it. Like the terminal REPL,
//! it only moves inputs to [`crate::session::Session`] and its MIME bundles back.
//!
//! - `wire`: frames, HMAC-SHA256 signatures, message JSON (pure, unit-tested)
//! - `handlers`: reply contents computed from the session
//! - `server`: the five sockets and their loops
//! - `progress`: the live progress display of a stage
//! - `install`: `harmonica kernel install` / `uninstall`

mod connection;
mod handlers;
pub mod install;
mod progress;
mod server;
pub mod wire;

use std::path::Path;

use crate::session::Session;

/// Why the kernel could not start or stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KernelError {
    /// The connection file could not be read.
    #[error("cannot read the connection file {0}: {1}")]
    Read(String, std::io::Error),
    /// The connection file is not what Jupyter writes.
    #[error("bad connection file {0}: {1}")]
    Parse(String, serde_json::Error),
    /// The signature scheme or key is unusable.
    #[error(transparent)]
    Wire(#[from] wire::WireError),
    /// A socket failed.
    #[error("ZeroMQ: {0}")]
    Zmq(String),
    /// The async runtime could not start.
    #[error("cannot start the runtime: {0}")]
    Runtime(std::io::Error),
}

/// Runs the kernel described by `connection_file` until Jupyter shuts it down.
pub fn run(connection_file: &Path) -> Result<(), KernelError> {
    let shown = connection_file.display().to_string();
    let text = std::fs::read_to_string(connection_file).map_err(|e| KernelError::Read(shown.clone(), e))?;
    let conn: connection::Connection = serde_json::from_str(&text).map_err(|e| KernelError::Parse(shown, e))?;
    let signer = wire::Signer::new(&conn.signature_scheme, &conn.key)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(KernelError::Runtime)?;
    runtime.block_on(server::serve(conn, signer, Session::new()))
}
