// The control: every required member given, optional ones by name; both compile.
use payspec_alipayplus::types::{Amount, Env, Order, PayRequest, PaymentMethod, PaymentMethodType, TerminalType};
use payspec_ksher::operations::quick_pay::QuickPayRequest;
use payspec_ksher::types::FeeType;

fn main() {
    let _ksher = QuickPayRequest::new("auth", FeeType::Thb, "order-1", 100).attach("table 12");
    let order = Order::new("ord-1", "Coffee", Amount::new("USD", 100), Env::new(TerminalType::MiniApp));
    let _alipay = PayRequest::new("pay-1", Amount::new("USD", 100), order, PaymentMethod::new(PaymentMethodType::Gcash))
        .payment_notify_url("https://merchant.example/notify");
}
