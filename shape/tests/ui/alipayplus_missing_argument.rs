// A pay without its payment method does not compile.
use payspec_alipayplus::types::{Amount, Env, Order, PayRequest, TerminalType};

fn main() {
    let order = Order::new("ord-1", "Coffee", Amount::new("USD", 100), Env::new(TerminalType::MiniApp));
    let _ = PayRequest::new("pay-1", Amount::new("USD", 100), order);
}
