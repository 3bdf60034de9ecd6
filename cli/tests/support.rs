//! Runs the `payspec` binary of this package, for the CLI halves of the vector tests.

use std::process::Command;

/// Exit code, stdout and stderr of `payspec <args>`.
pub fn payspec(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_payspec"))
        .args(args)
        .output()
        .expect("run payspec");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
