// A malformed spec is a compile error naming the spec's file:line:col, not a panic.
mod demo {
    payspec_macros::api!("tests/ui/bad_spec.yaml");
}

fn main() {}
