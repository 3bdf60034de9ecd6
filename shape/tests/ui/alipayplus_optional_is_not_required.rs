// A required member has no `Option`: it cannot be left out with `None`.
use payspec_alipayplus::types::{Amount, RefundRequest};

fn main() {
    let _ = RefundRequest::new(None::<String>, Amount::new("USD", 100));
    let mut refund = RefundRequest::new("refund-1", Amount::new("USD", 100));
    refund.refund_amount = None;
}
