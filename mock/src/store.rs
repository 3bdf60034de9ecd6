//! The mock's in-memory state: orders, refunds, payouts and the order state table.
//!
//! One `Store` per gateway sits behind one mutex, so every change (a payment, a close, a refund)
//! is serialized: concurrent refunds of one order can never refund more than its amount.

// Money is added and compared here: every operation on amounts is checked (issue 9, defect 4).
#![deny(clippy::arithmetic_side_effects)]

use std::collections::HashMap;

use serde::Serialize;
use time::OffsetDateTime;

/// State of an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderState {
    /// Created, not paid yet.
    Pending,
    /// Paid (refunds, if any, are listed separately).
    Paid,
    /// Closed or cancelled before it was paid.
    Closed,
    /// Paid, then reversed (the whole amount went back to the payer).
    Reversed,
}

/// What can happen to an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// The payer paid (admin endpoint, automatic payment, `quick_pay`).
    Pay,
    /// `order_close`, `cancel_order`, `cancelPayment`.
    Close,
    /// `order_reverse`.
    Reverse,
    /// `order_refund`, `refund` (amount checks in [`Store::refund`]).
    Refund,
}

/// The state table: `(from, action, to)`. A pair that is not listed is rejected.
const TRANSITIONS: &[(OrderState, Action, OrderState)] = &[
    (OrderState::Pending, Action::Pay, OrderState::Paid),
    // Paying twice (admin endpoint and automatic payment) changes nothing.
    (OrderState::Paid, Action::Pay, OrderState::Paid),
    (OrderState::Pending, Action::Close, OrderState::Closed),
    // Closing twice is answered like the first close.
    (OrderState::Closed, Action::Close, OrderState::Closed),
    (OrderState::Pending, Action::Reverse, OrderState::Closed),
    (OrderState::Closed, Action::Reverse, OrderState::Closed),
    // Only without refunds (checked in `apply`).
    (OrderState::Paid, Action::Reverse, OrderState::Reversed),
    // Partial or full; the order stays paid, its refunds are listed.
    (OrderState::Paid, Action::Refund, OrderState::Paid),
];

fn transition(from: OrderState, action: Action) -> Option<OrderState> {
    TRANSITIONS
        .iter()
        .find(|(f, a, _)| *f == from && *a == action)
        .map(|(_, _, to)| *to)
}

/// One refund.
#[derive(Clone, Debug)]
pub(crate) struct Refund {
    pub merchant_no: String,
    pub gateway_no: String,
    pub channel_no: String,
    pub amount: u64,
    pub time: OffsetDateTime,
    /// Business parameters of the request, to tell a retry from a conflicting reuse.
    pub fingerprint: String,
}

/// One order.
#[derive(Clone, Debug)]
pub(crate) struct Order {
    /// `mch_order_no` / `paymentRequestId`.
    pub merchant_no: String,
    /// `ksher_order_no` / `paymentId`.
    pub gateway_no: String,
    /// `channel_order_no` (Ksher); the wallet's id (Alipay+).
    pub channel_no: String,
    /// Operation that created it.
    pub operation: &'static str,
    pub amount: u64,
    pub currency: String,
    pub state: OrderState,
    /// Business parameters of the creating request (retry vs. conflicting reuse).
    pub fingerprint: String,
    pub notify_url: Option<String>,
    /// Ksher `appid` / Alipay+ `Client-Id` of the creating request.
    pub client_id: String,
    pub paid_at: Option<OffsetDateTime>,
    pub refunds: Vec<Refund>,
    /// API-specific members echoed in answers (channel, attach, device_id, wallet...).
    pub details: serde_json::Map<String, serde_json::Value>,
}

impl Order {
    /// Sum of the refunds (never above the order's amount, which is at most [`MAX_AMOUNT`]).
    pub fn refunded(&self) -> u64 {
        self.refunds
            .iter()
            .fold(0u64, |sum, r| sum.saturating_add(r.amount))
    }

    /// A `details` member as text.
    pub fn detail(&self, name: &str) -> Option<&str> {
        self.details.get(name).and_then(|v| v.as_str())
    }

    pub fn view(&self) -> OrderView {
        OrderView {
            merchant_no: self.merchant_no.clone(),
            gateway_no: self.gateway_no.clone(),
            operation: self.operation,
            amount: self.amount,
            currency: self.currency.clone(),
            state: self.state,
            refunded: self.refunded(),
            refunds: self
                .refunds
                .iter()
                .map(|r| RefundView {
                    merchant_no: r.merchant_no.clone(),
                    gateway_no: r.gateway_no.clone(),
                    amount: r.amount,
                })
                .collect(),
            notify_url: self.notify_url.clone(),
        }
    }
}

/// A snapshot of an order (admin endpoint, [`crate::Running::order`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OrderView {
    /// The merchant's order number (`mch_order_no`, `paymentRequestId`).
    pub merchant_no: String,
    /// The gateway's order number (`ksher_order_no`, `paymentId`).
    pub gateway_no: String,
    /// Operation that created the order.
    pub operation: &'static str,
    /// Amount in the smallest currency unit.
    pub amount: u64,
    /// Currency code.
    pub currency: String,
    /// Current state.
    pub state: OrderState,
    /// Sum of the refunds.
    pub refunded: u64,
    /// The refunds, oldest first.
    pub refunds: Vec<RefundView>,
    /// Where the payment notification goes.
    pub notify_url: Option<String>,
}

/// A snapshot of a refund.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RefundView {
    /// The merchant's refund number (`mch_refund_no`, `refundRequestId`).
    pub merchant_no: String,
    /// The gateway's refund number.
    pub gateway_no: String,
    /// Amount in the smallest currency unit.
    pub amount: u64,
}

/// A Ksher payout.
#[derive(Clone, Debug)]
pub(crate) struct Payout {
    pub merchant_no: String,
    pub gateway_no: String,
    pub amount: u64,
    pub currency: String,
    pub time: OffsetDateTime,
    pub fingerprint: String,
    pub details: serde_json::Map<String, serde_json::Value>,
}

/// A merchant (or store) registration (Alipay+ `registration`).
#[derive(Clone, Debug)]
pub(crate) struct Registration {
    /// The request id (idempotency key).
    pub request_id: String,
    pub merchant_id: String,
    pub store_id: Option<String>,
    pub products: Vec<String>,
    pub fingerprint: String,
}

/// Why the store refused a change.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum StoreError {
    #[error("no such order")]
    NotFound,
    #[error("order number already used with different parameters")]
    OrderNoUsed,
    #[error("refund number already used with different parameters")]
    RefundNoUsed,
    #[error("registration request id already used with different parameters")]
    RegistrationNoUsed,
    #[error("order is {state:?}; {action:?} is not allowed")]
    InvalidState { state: OrderState, action: Action },
    #[error("order has refunds; it cannot be reversed")]
    HasRefunds,
    #[error("refund of {requested} exceeds the refundable {remaining}")]
    ExceedsRemaining { requested: u64, remaining: u64 },
    #[error("payout of {requested} exceeds the balance {balance}")]
    InsufficientBalance { requested: u64, balance: u64 },
    #[error("amount {amount} is larger than {MAX_AMOUNT}, the largest amount the mock accepts")]
    AmountTooLarge { amount: u64 },
    #[error("the total does not fit in 64 bits")]
    Overflow,
}

/// Largest amount of one order, refund or payout, in minor units: 2^53 - 1, the largest integer
/// every JSON consumer reads exactly (a JavaScript number). Larger amounts are refused, so no
/// sum of a few of them can wrap.
pub const MAX_AMOUNT: u64 = (1 << 53) - 1;

/// Which order a request names; the first number given wins.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct OrderRef<'a> {
    pub merchant_no: Option<&'a str>,
    pub gateway_no: Option<&'a str>,
    pub channel_no: Option<&'a str>,
}

impl<'a> OrderRef<'a> {
    pub fn any(text: &'a str) -> Self {
        OrderRef {
            merchant_no: Some(text),
            gateway_no: Some(text),
            channel_no: Some(text),
        }
    }
}

/// Result of [`Store::create`].
pub(crate) enum Created {
    /// A new order.
    New(Order),
    /// The same order number with the same parameters: the existing order (a retry).
    Repeat(Order),
}

/// Result of [`Store::refund`].
pub(crate) struct Refunded {
    pub order: Order,
    pub refund: Refund,
}

#[derive(Debug)]
pub(crate) struct Store {
    orders: HashMap<String, Order>,
    by_gateway_no: HashMap<String, String>,
    by_channel_no: HashMap<String, String>,
    /// Refund number → order (merchant no).
    refunds: HashMap<String, String>,
    payouts: HashMap<String, Payout>,
    /// Registration request id → registration, in arrival order.
    registrations: Vec<Registration>,
    payout_balance: u64,
    seq: u64,
}

impl Store {
    pub fn new(payout_balance: u64) -> Self {
        Store {
            orders: HashMap::new(),
            by_gateway_no: HashMap::new(),
            by_channel_no: HashMap::new(),
            refunds: HashMap::new(),
            payouts: HashMap::new(),
            registrations: Vec::new(),
            payout_balance,
            seq: 0,
        }
    }

    /// A fresh sequence number for generated ids.
    pub fn next_seq(&mut self) -> u64 {
        self.seq = self.seq.saturating_add(1);
        self.seq
    }

    /// Creates an order, or returns the existing one for a retry with the same parameters.
    pub fn create(&mut self, order: Order) -> Result<Created, StoreError> {
        if order.amount > MAX_AMOUNT {
            return Err(StoreError::AmountTooLarge {
                amount: order.amount,
            });
        }
        if let Some(existing) = self.orders.get(&order.merchant_no) {
            return if existing.fingerprint == order.fingerprint {
                Ok(Created::Repeat(existing.clone()))
            } else {
                Err(StoreError::OrderNoUsed)
            };
        }
        self.by_gateway_no
            .insert(order.gateway_no.clone(), order.merchant_no.clone());
        self.by_channel_no
            .insert(order.channel_no.clone(), order.merchant_no.clone());
        self.orders.insert(order.merchant_no.clone(), order.clone());
        Ok(Created::New(order))
    }

    fn key_of(&self, r: OrderRef<'_>) -> Option<String> {
        if let Some(no) = r.merchant_no {
            if self.orders.contains_key(no) {
                return Some(no.to_owned());
            }
        }
        if let Some(no) = r.gateway_no {
            if let Some(key) = self.by_gateway_no.get(no) {
                return Some(key.clone());
            }
        }
        if let Some(no) = r.channel_no {
            if let Some(key) = self.by_channel_no.get(no) {
                return Some(key.clone());
            }
        }
        None
    }

    /// Every order, by merchant number.
    pub fn orders(&self) -> Vec<&Order> {
        let mut all: Vec<&Order> = self.orders.values().collect();
        all.sort_by(|a, b| a.merchant_no.cmp(&b.merchant_no));
        all
    }

    pub fn get(&self, r: OrderRef<'_>) -> Option<&Order> {
        self.key_of(r).and_then(|key| self.orders.get(&key))
    }

    /// Applies `action` by the state table. `Ok((order, changed))`; `changed` is `false` when
    /// the order already was in the target state.
    pub fn apply(
        &mut self,
        r: OrderRef<'_>,
        action: Action,
        now: OffsetDateTime,
    ) -> Result<(Order, bool), StoreError> {
        let key = self.key_of(r).ok_or(StoreError::NotFound)?;
        let order = self.orders.get_mut(&key).ok_or(StoreError::NotFound)?;
        let to = transition(order.state, action).ok_or(StoreError::InvalidState {
            state: order.state,
            action,
        })?;
        if action == Action::Reverse && !order.refunds.is_empty() {
            return Err(StoreError::HasRefunds);
        }
        let changed = to != order.state;
        order.state = to;
        if action == Action::Pay && changed {
            order.paid_at = Some(now);
        }
        Ok((order.clone(), changed))
    }

    /// Refunds part of a paid order. A refund number is single use: the same number with the
    /// same parameters returns the earlier refund, with others it is refused.
    pub fn refund(&mut self, r: OrderRef<'_>, refund: Refund) -> Result<Refunded, StoreError> {
        let key = self.key_of(r).ok_or(StoreError::NotFound)?;
        if let Some(order_key) = self.refunds.get(&refund.merchant_no) {
            let order = self.orders.get(order_key).ok_or(StoreError::NotFound)?;
            let earlier = order
                .refunds
                .iter()
                .find(|x| x.merchant_no == refund.merchant_no)
                .ok_or(StoreError::NotFound)?;
            return if *order_key == key && earlier.fingerprint == refund.fingerprint {
                Ok(Refunded {
                    order: order.clone(),
                    refund: earlier.clone(),
                })
            } else {
                Err(StoreError::RefundNoUsed)
            };
        }
        let order = self.orders.get_mut(&key).ok_or(StoreError::NotFound)?;
        if transition(order.state, Action::Refund).is_none() {
            return Err(StoreError::InvalidState {
                state: order.state,
                action: Action::Refund,
            });
        }
        let remaining = order.amount.saturating_sub(order.refunded());
        if refund.amount > remaining {
            return Err(StoreError::ExceedsRemaining {
                requested: refund.amount,
                remaining,
            });
        }
        order.refunds.push(refund.clone());
        let order = order.clone();
        self.refunds.insert(refund.merchant_no.clone(), key);
        Ok(Refunded { order, refund })
    }

    /// The refund with this refund number (the merchant's) or, failing that, this gateway refund
    /// number, with its order.
    pub fn find_refund(
        &self,
        merchant_no: Option<&str>,
        gateway_no: Option<&str>,
    ) -> Option<(&Order, &Refund)> {
        if let Some(no) = merchant_no {
            let order = self.refunds.get(no).and_then(|key| self.orders.get(key));
            if let Some(found) = order.and_then(|o| {
                o.refunds
                    .iter()
                    .find(|r| r.merchant_no == no)
                    .map(|r| (o, r))
            }) {
                return Some(found);
            }
        }
        let no = gateway_no?;
        self.orders.values().find_map(|o| {
            o.refunds
                .iter()
                .find(|r| r.gateway_no == no)
                .map(|r| (o, r))
        })
    }

    /// Records a registration. The same request id with the same parameters returns the earlier
    /// one (a retry, `false`); with others it is refused.
    pub fn register(&mut self, r: Registration) -> Result<(Registration, bool), StoreError> {
        if let Some(earlier) = self
            .registrations
            .iter()
            .find(|x| x.request_id == r.request_id)
        {
            return if earlier.fingerprint == r.fingerprint {
                Ok((earlier.clone(), false))
            } else {
                Err(StoreError::RegistrationNoUsed)
            };
        }
        self.registrations.push(r.clone());
        Ok((r, true))
    }

    /// The registration with this request id, else the latest of this merchant (and store).
    pub fn registration(
        &self,
        request_id: Option<&str>,
        merchant_id: Option<&str>,
        store_id: Option<&str>,
    ) -> Option<&Registration> {
        if let Some(id) = request_id {
            return self.registrations.iter().find(|r| r.request_id == id);
        }
        let merchant = merchant_id?;
        self.registrations.iter().rev().find(|r| {
            r.merchant_id == merchant && (store_id.is_none() || r.store_id.as_deref() == store_id)
        })
    }

    /// Creates a payout (debiting the balance), or returns the earlier one for a retry.
    pub fn payout(&mut self, payout: Payout) -> Result<(Payout, bool), StoreError> {
        if let Some(existing) = self.payouts.get(&payout.merchant_no) {
            return if existing.fingerprint == payout.fingerprint {
                Ok((existing.clone(), true))
            } else {
                Err(StoreError::OrderNoUsed)
            };
        }
        if payout.amount > self.payout_balance {
            return Err(StoreError::InsufficientBalance {
                requested: payout.amount,
                balance: self.payout_balance,
            });
        }
        self.payout_balance = self.payout_balance.checked_sub(payout.amount).ok_or(
            StoreError::InsufficientBalance {
                requested: payout.amount,
                balance: self.payout_balance,
            },
        )?;
        self.payouts
            .insert(payout.merchant_no.clone(), payout.clone());
        Ok((payout, false))
    }

    pub fn payout_by_no(&self, merchant_no: &str) -> Option<&Payout> {
        self.payouts.get(merchant_no)
    }

    pub fn payout_balance(&self) -> u64 {
        self.payout_balance
    }

    /// Paid amounts minus refunds, per currency, over all orders; `Overflow` if a total does
    /// not fit in 64 bits.
    pub fn settled(&self) -> Result<Vec<(String, u64)>, StoreError> {
        let mut sums: Vec<(String, u64)> = Vec::new();
        for order in self.orders.values() {
            if order.state != OrderState::Paid {
                continue;
            }
            let net = order.amount.saturating_sub(order.refunded());
            match sums.iter_mut().find(|(c, _)| *c == order.currency) {
                Some((_, sum)) => *sum = sum.checked_add(net).ok_or(StoreError::Overflow)?,
                None => sums.push((order.currency.clone(), net)),
            }
        }
        sums.sort();
        Ok(sums)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(no: &str, amount: u64) -> Order {
        Order {
            merchant_no: no.into(),
            gateway_no: format!("g{no}"),
            channel_no: format!("c{no}"),
            operation: "test",
            amount,
            currency: "THB".into(),
            state: OrderState::Pending,
            fingerprint: format!("fp{amount}"),
            notify_url: None,
            client_id: String::new(),
            paid_at: None,
            refunds: Vec::new(),
            details: serde_json::Map::new(),
        }
    }

    /// Issue 9, defect 4: two orders of `u64::MAX` and a settlement query made the worker
    /// panic in debug ("attempt to add with overflow") and wrap in release.
    #[test]
    fn amounts_are_bounded_and_totals_checked() {
        let mut store = Store::new(0);
        assert_eq!(
            store.create(order("huge", u64::MAX)).err(),
            Some(StoreError::AmountTooLarge { amount: u64::MAX })
        );
        assert!(store.create(order("max", MAX_AMOUNT)).is_ok());
        // Paid orders at the maximum until a total no longer fits in 64 bits.
        let count = u64::MAX / MAX_AMOUNT + 1;
        for i in 0..count {
            let mut o = order(&format!("o{i}"), MAX_AMOUNT);
            o.state = OrderState::Paid;
            store.orders.insert(o.merchant_no.clone(), o);
        }
        assert_eq!(store.settled(), Err(StoreError::Overflow));
        store.orders.retain(|no, _| no == "o0" || no == "o1");
        assert_eq!(
            store.settled(),
            Ok(vec![("THB".to_owned(), 2 * MAX_AMOUNT)])
        );
    }

    fn refund(no: &str, amount: u64) -> Refund {
        Refund {
            merchant_no: no.into(),
            gateway_no: format!("g{no}"),
            channel_no: format!("c{no}"),
            amount,
            time: OffsetDateTime::UNIX_EPOCH,
            fingerprint: format!("{amount}"),
        }
    }

    #[test]
    fn state_table_and_refund_limits() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let mut s = Store::new(0);
        assert!(matches!(s.create(order("o1", 100)), Ok(Created::New(_))));
        assert!(matches!(s.create(order("o1", 100)), Ok(Created::Repeat(_))));
        assert_eq!(
            s.create(order("o1", 200)).err(),
            Some(StoreError::OrderNoUsed)
        );
        let by_gateway = OrderRef {
            gateway_no: Some("go1"),
            ..Default::default()
        };
        assert!(matches!(
            s.refund(by_gateway, refund("r0", 10)),
            Err(StoreError::InvalidState { .. })
        ));
        assert!(s.apply(by_gateway, Action::Pay, now).unwrap().1);
        assert!(s.apply(by_gateway, Action::Close, now).is_err());
        assert!(s.refund(by_gateway, refund("r1", 60)).is_ok());
        let again = s.refund(by_gateway, refund("r1", 60)).unwrap();
        assert_eq!(again.order.refunded(), 60, "a retry refunds nothing more");
        assert_eq!(
            s.refund(by_gateway, refund("r1", 10)).err(),
            Some(StoreError::RefundNoUsed)
        );
        assert_eq!(
            s.refund(by_gateway, refund("r2", 41)).err(),
            Some(StoreError::ExceedsRemaining {
                requested: 41,
                remaining: 40
            })
        );
        assert_eq!(
            s.apply(by_gateway, Action::Reverse, now).err(),
            Some(StoreError::HasRefunds)
        );
        assert!(s.refund(by_gateway, refund("r2", 40)).is_ok());
        assert_eq!(s.get(OrderRef::any("co1")).unwrap().refunded(), 100);
        // Refunds are found by their number or by the gateway's.
        let found = |m, g| {
            s.find_refund(m, g)
                .map(|(o, r)| (o.merchant_no.clone(), r.amount))
        };
        assert_eq!(found(Some("r2"), None), Some(("o1".to_owned(), 40)));
        assert_eq!(found(None, Some("gr1")), Some(("o1".to_owned(), 60)));
        assert_eq!(
            found(Some("nope"), Some("gr2")),
            Some(("o1".to_owned(), 40))
        );
        assert_eq!(found(Some("nope"), None), None);
        assert_eq!(found(None, None), None);
        assert_eq!(
            s.apply(OrderRef::any("nope"), Action::Pay, now).err(),
            Some(StoreError::NotFound)
        );
    }
}
