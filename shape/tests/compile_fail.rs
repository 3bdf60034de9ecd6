//! A missing required member is a compile error, in both generated crates (issue 10, point 3).

#[test]
fn missing_required_members_do_not_compile() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/complete_requests.rs");
    t.compile_fail("tests/ui/ksher_missing_argument.rs");
    t.compile_fail("tests/ui/ksher_optional_is_not_required.rs");
    t.compile_fail("tests/ui/alipayplus_missing_argument.rs");
    t.compile_fail("tests/ui/alipayplus_nested_missing_field.rs");
    t.compile_fail("tests/ui/alipayplus_optional_is_not_required.rs");
}
