// Nested request objects are strict too: an amount needs its value.
use payspec_alipayplus::types::Amount;

fn main() {
    let _ = Amount { currency: "USD".to_owned() };
}
