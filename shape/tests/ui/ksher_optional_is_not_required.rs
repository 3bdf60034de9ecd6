// A required parameter has no `Option`: `None` does not leave it out.
use payspec_ksher::operations::quick_pay::QuickPayRequest;
use payspec_ksher::types::FeeType;

fn main() {
    let _ = QuickPayRequest::new("auth", FeeType::Thb, "order-1", None);
}
