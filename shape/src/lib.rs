//! Tests only (see `tests/`): every generated crate has one API shape.
//!
//! * `tests/compile_fail.rs`: a request or request object missing a required member does not
//!   compile, in both generated crates (trybuild; expected errors in `tests/ui/*.stderr`).
//! * `tests/outside_workspace.rs`: a scratch crate outside this workspace that names only the
//!   shared root items compiles against both generated crates.
