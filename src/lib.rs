//! Harmonica: hyperparameter optimization with the spectral method of Hazan,
//! Klivans and Yuan ("Hyperparameter Optimization: A Spectral Approach", ICLR 2018).
//!
//! Data flows one way: study text -> [`study::Study`] -> [`harmonica::Engine`] <->
//! [`exec`] -> [`objective`], and [`report`] renders what a run found.

// Links the BLAS provider ndarray's `blas` feature calls into (`--features openblas`).
#[cfg(feature = "openblas")]
extern crate blas_src;

pub mod cli;
pub mod exec;
pub mod experiment;
pub mod harmonica;
pub mod kernel;
pub mod objective;
pub mod plot;
pub mod repl;
pub mod report;
pub mod runner;
pub mod session;
pub mod sgd;
pub mod space;
pub mod store;
pub mod study;
pub mod trial_table;
pub mod worker;
