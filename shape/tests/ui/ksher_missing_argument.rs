// quick_pay without its total: the constructor takes every required parameter.
use payspec_ksher::operations::quick_pay::QuickPayRequest;
use payspec_ksher::types::FeeType;

fn main() {
    let _ = QuickPayRequest::new("auth", FeeType::Thb, "order-1");
}
