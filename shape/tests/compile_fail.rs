//! A missing required member is a compile error, in both generated crates (issue 10, point 3);
//! a malformed spec given to `payspec_macros::api!` is a compile error naming its
//! `file:line:col` (issue 11, point 2).

/// trybuild builds the cases as a project of its own, whose `CARGO_MANIFEST_DIR` is
/// `<target>/tests/trybuild/payspec-shape`: the spec a case names is put there, at the same
/// relative path as in this crate.
fn place_spec_for_trybuild(rel: &str) {
    let target = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("target dir")
        .to_path_buf();
    let to = target.join("tests/trybuild/payspec-shape").join(rel);
    std::fs::create_dir_all(to.parent().expect("folder")).expect("trybuild folder");
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(rel),
        &to,
    )
    .expect("copy the spec");
}

#[test]
fn missing_required_members_do_not_compile() {
    place_spec_for_trybuild("tests/ui/bad_spec.yaml");
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/complete_requests.rs");
    t.compile_fail("tests/ui/ksher_missing_argument.rs");
    t.compile_fail("tests/ui/ksher_optional_is_not_required.rs");
    t.compile_fail("tests/ui/alipayplus_missing_argument.rs");
    t.compile_fail("tests/ui/alipayplus_nested_missing_field.rs");
    t.compile_fail("tests/ui/alipayplus_optional_is_not_required.rs");
    t.compile_fail("tests/ui/macro_bad_spec.rs");
}
