//! The Antom (AMS) merchant API, served from `payspec-antom`.
//!
//! Authentication, signed answers and notification delivery are the header-rsa mock's
//! ([`crate::header_rsa`]); this module holds what Antom answers. A Cashier pay creates a pending
//! order and answers PAYMENT_IN_PROCESS/U with the mock's pay page in `normalUrl`; paying it sends
//! notifyPayment to `paymentNotifyUrl`. A refund goes by `paymentId` and, when the request has a
//! `refundNotifyUrl`, notifyRefund follows at once.

use std::sync::Arc;

use payspec_antom::types::response::Amount;
use payspec_antom::types::{
    ApiResult, CancelResponse, ConsultRequest, ConsultResponse, InquiryPaymentRequest,
    InquiryPaymentResponse, InquiryRefundRequest, InquiryRefundResponse, NotifyPaymentData,
    NotifyRefundData, NotifyType, PayRequest, PayResponse, PaymentMethodType, PaymentOption,
    PaymentStatus, RefundRequest, RefundResponse, RefundStatus, ResultCode, ResultStatus,
    Transaction, TransactionType,
};
use payspec_antom::{Api, HEADER_CLIENT_ID};
use payspec_runtime::scheme::header_rsa::Operation;
use serde::Serialize;
use time::OffsetDateTime;

use crate::gateway::{pay_link, ApiHandler, Gateway};
use crate::header_rsa::{self as shared, iso, Refusal};
use crate::http::{Incoming, Outgoing};
use crate::notify::Delivery;
use crate::store::{Action, Created, Order, OrderRef, OrderState, Refund, StoreError};

/// The typed request of any Antom operation (the mock dispatches on it).
#[derive(Clone, Debug)]
enum AnyRequest {
    Pay(Box<PayRequest>),
    InquiryPayment(InquiryPaymentRequest),
    Cancel(payspec_antom::types::CancelRequest),
    Refund(Box<RefundRequest>),
    InquiryRefund(InquiryRefundRequest),
    Consult(Box<ConsultRequest>),
}

impl AnyRequest {
    /// Parses the body of operation `name` strictly and checks the spec's rules.
    fn from_json(name: &str, json: &str) -> Result<Self, payspec_runtime::ValidationError> {
        fn parse<O: Operation>(json: &str) -> Result<O, payspec_runtime::ValidationError> {
            let request: O = payspec_runtime::json::from_str_strict(json)?;
            request.check()?;
            Ok(request)
        }
        Ok(match name {
            PayRequest::NAME => AnyRequest::Pay(Box::new(parse(json)?)),
            InquiryPaymentRequest::NAME => AnyRequest::InquiryPayment(parse(json)?),
            payspec_antom::types::CancelRequest::NAME => AnyRequest::Cancel(parse(json)?),
            RefundRequest::NAME => AnyRequest::Refund(Box::new(parse(json)?)),
            InquiryRefundRequest::NAME => AnyRequest::InquiryRefund(parse(json)?),
            ConsultRequest::NAME => AnyRequest::Consult(Box::new(parse(json)?)),
            other => {
                return Err(payspec_runtime::ValidationError::Invalid {
                    field: other.to_owned(),
                    reason: "unknown operation".into(),
                })
            }
        })
    }
}

fn result(code: ResultCode, status: ResultStatus, message: impl Into<String>) -> ApiResult {
    ApiResult {
        unknown_members: Default::default(),
        result_code: Some(code),
        result_status: Some(status),
        result_message: Some(message.into()),
    }
}

fn success() -> ApiResult {
    result(ResultCode::Success, ResultStatus::S, "success")
}

fn failed(code: ResultCode, message: impl Into<String>) -> ApiResult {
    result(code, ResultStatus::F, message)
}

/// A body with only `result`.
#[derive(Serialize)]
struct ResultOnly {
    result: ApiResult,
}

fn store_failure(e: &StoreError) -> ApiResult {
    let code = match e {
        StoreError::NotFound => ResultCode::OrderNotExist,
        StoreError::OrderNoUsed | StoreError::RefundNoUsed | StoreError::RegistrationNoUsed => {
            ResultCode::RepeatReqInconsistent
        }
        StoreError::InvalidState {
            state: OrderState::Closed,
            ..
        } => ResultCode::OrderIsCanceled,
        StoreError::ExceedsRemaining { .. } => ResultCode::RefundAmountExceed,
        _ => ResultCode::OrderStatusInvalid,
    };
    failed(code, e.to_string())
}

fn amount(value: u64, currency: &str) -> Amount {
    Amount {
        unknown_members: Default::default(),
        currency: Some(currency.to_owned()),
        value: Some(value),
    }
}

fn answer<T: Serialize>(gateway: &Gateway, path: &str, client_id: &str, body: &T) -> Outgoing {
    shared::answer::<Api, T>(gateway, path, Some(client_id), body)
}

/// Antom as a mock handler.
pub(crate) struct AntomApi;

impl ApiHandler for AntomApi {
    fn handle(&self, gateway: &Arc<Gateway>, request: &Incoming) -> Outgoing {
        handle(gateway, request)
    }

    fn operation(&self, path: &str) -> Option<(&'static str, bool)> {
        shared::operation::<Api>(path)
    }

    fn unknown(&self, gateway: &Arc<Gateway>, request: &Incoming) -> Outgoing {
        shared::unknown::<Api>(gateway, request)
    }

    fn notification(&self, gateway: &Arc<Gateway>, order: &Order) -> Option<Delivery> {
        notify_payment(gateway, order)
    }
}

fn handle(gateway: &Arc<Gateway>, request: &Incoming) -> Outgoing {
    let path = request.path.as_str();
    let auth = match shared::authenticate::<Api>(gateway, request) {
        Ok(auth) => auth,
        Err(refusal) => {
            let (client, r) = match &refusal {
                Refusal::NoOperation | Refusal::NotPost => {
                    return refusal
                        .http()
                        .unwrap_or_else(|| Outgoing::text(400, "refused"))
                }
                Refusal::MissingClientId => (
                    None,
                    failed(
                        ResultCode::ParamIllegal,
                        format!("missing header `{HEADER_CLIENT_ID}`"),
                    ),
                ),
                Refusal::UnknownClient(client) => (
                    Some(*client),
                    failed(
                        ResultCode::InvalidClient,
                        format!("client id `{client}` is not the mock's client"),
                    ),
                ),
                Refusal::BadSignature(client, why) => (
                    Some(*client),
                    failed(ResultCode::InvalidSignature, why.clone()),
                ),
                Refusal::NotUtf8(client) => (
                    Some(*client),
                    failed(ResultCode::ParamIllegal, "the body is not UTF-8"),
                ),
            };
            return shared::answer::<Api, _>(gateway, path, client, &ResultOnly { result: r });
        }
    };
    let client_id = auth.client_id;
    let typed = match AnyRequest::from_json(auth.name, auth.text) {
        Ok(typed) => typed,
        Err(e) => {
            let r = failed(ResultCode::ParamIllegal, e.to_string());
            return answer(gateway, path, client_id, &ResultOnly { result: r });
        }
    };
    let now = gateway.now();
    match &typed {
        AnyRequest::Pay(r) => answer(gateway, path, client_id, &pay(gateway, client_id, r, now)),
        AnyRequest::InquiryPayment(r) => {
            let target = order_ref(&r.payment_request_id, &r.payment_id);
            answer(gateway, path, client_id, &inquiry(gateway, target))
        }
        AnyRequest::Cancel(r) => {
            let target = order_ref(&r.payment_request_id, &r.payment_id);
            let body = match gateway.store().apply(target, Action::Close, now) {
                Ok((order, _)) => CancelResponse {
                    result: Some(success()),
                    payment_id: Some(order.gateway_no.clone()),
                    payment_request_id: Some(order.merchant_no.clone()),
                    cancel_time: Some(iso(now)),
                    ..Default::default()
                },
                Err(e) => CancelResponse {
                    result: Some(store_failure(&e)),
                    ..Default::default()
                },
            };
            answer(gateway, path, client_id, &body)
        }
        AnyRequest::Refund(r) => {
            let body = refund(gateway, client_id, r, now);
            answer(gateway, path, client_id, &body)
        }
        AnyRequest::InquiryRefund(r) => {
            let body = inquiry_refund(gateway, r);
            answer(gateway, path, client_id, &body)
        }
        AnyRequest::Consult(r) => {
            let currency = r.payment_amount.currency.as_str();
            let options = PaymentMethodType::VALUES
                .iter()
                .enumerate()
                .map(|(i, value)| PaymentOption {
                    payment_method_type: Some(PaymentMethodType::from_wire(value)),
                    payment_method_category: Some("WALLET".into()),
                    enabled: Some(true),
                    preferred: Some(i == 0),
                    supported_currencies: Some(vec![currency.to_owned()]),
                    ..Default::default()
                })
                .collect();
            let body = ConsultResponse {
                result: Some(success()),
                payment_options: Some(options),
                ..Default::default()
            };
            answer(gateway, path, client_id, &body)
        }
    }
}

fn order_ref<'a>(request_id: &'a Option<String>, payment_id: &'a Option<String>) -> OrderRef<'a> {
    // Antom: when both are given, paymentId wins (it is looked up first).
    OrderRef {
        merchant_no: if payment_id.is_some() {
            None
        } else {
            request_id.as_deref()
        },
        gateway_no: payment_id.as_deref(),
        channel_no: None,
    }
}

/// `paymentStatus` of an order.
fn payment_status(order: &Order) -> PaymentStatus {
    match order.state {
        OrderState::Pending => PaymentStatus::Processing,
        OrderState::Paid => PaymentStatus::Success,
        OrderState::Closed | OrderState::Reversed => PaymentStatus::Cancelled,
    }
}

/// The `result` of a pay answer (and of a repeated pay) for an order's state.
fn pay_result(order: &Order) -> ApiResult {
    match order.state {
        OrderState::Pending => result(
            ResultCode::PaymentInProcess,
            ResultStatus::U,
            "payment in process",
        ),
        OrderState::Paid => success(),
        OrderState::Closed | OrderState::Reversed => {
            failed(ResultCode::OrderIsCanceled, "the payment was cancelled")
        }
    }
}

fn pay(
    gateway: &Arc<Gateway>,
    client_id: &str,
    r: &PayRequest,
    now: OffsetDateTime,
) -> PayResponse {
    // The members whose change makes a repeat inconsistent.
    let fingerprint = serde_json::json!([
        r.product_code,
        r.payment_amount,
        r.settlement_strategy,
        r.payment_method.payment_method_type,
    ])
    .to_string();
    let mut details = serde_json::Map::new();
    details.insert(
        "method".into(),
        r.payment_method.payment_method_type.as_str().into(),
    );
    let created = {
        let mut store = gateway.store();
        let seq = store.next_seq();
        let date = payspec_runtime::clock::compact_timestamp(now);
        store.create(Order {
            merchant_no: r.payment_request_id.clone(),
            gateway_no: format!("{}1940108001001880A{seq:010}", date.get(..8).unwrap_or("")),
            channel_no: format!("AMS{seq:012}"),
            operation: "pay",
            amount: r.payment_amount.value,
            currency: r.payment_amount.currency.clone(),
            state: OrderState::Pending,
            fingerprint,
            notify_url: r.payment_notify_url.clone(),
            client_id: client_id.to_owned(),
            paid_at: None,
            refunds: Vec::new(),
            details,
        })
    };
    let order = match created {
        Ok(Created::New(order)) => {
            gateway.created(&order);
            order
        }
        Ok(Created::Repeat(order)) => order,
        Err(e) => {
            return PayResponse {
                result: Some(store_failure(&e)),
                ..Default::default()
            }
        }
    };
    PayResponse {
        result: Some(pay_result(&order)),
        payment_request_id: Some(order.merchant_no.clone()),
        payment_id: Some(order.gateway_no.clone()),
        payment_amount: Some(amount(order.amount, &order.currency)),
        payment_create_time: Some(iso(now)),
        payment_time: order.paid_at.map(iso),
        normal_url: Some(pay_link(&gateway.base_url, &order.merchant_no)),
        ..Default::default()
    }
}

fn method(order: &Order) -> Option<PaymentMethodType> {
    order.detail("method").map(PaymentMethodType::from_wire)
}

fn inquiry(gateway: &Arc<Gateway>, target: OrderRef<'_>) -> InquiryPaymentResponse {
    let Some(order) = gateway.store().get(target).cloned() else {
        return InquiryPaymentResponse {
            result: Some(store_failure(&StoreError::NotFound)),
            ..Default::default()
        };
    };
    let transactions = order
        .refunds
        .iter()
        .map(|x| Transaction {
            transaction_result: Some(success()),
            transaction_id: Some(x.gateway_no.clone()),
            transaction_type: Some(TransactionType::Refund),
            transaction_status: Some(PaymentStatus::Success),
            transaction_amount: Some(amount(x.amount, &order.currency)),
            transaction_request_id: Some(x.merchant_no.clone()),
            transaction_time: Some(iso(x.time)),
            ..Default::default()
        })
        .collect();
    let status = payment_status(&order);
    InquiryPaymentResponse {
        result: Some(success()),
        payment_result_code: Some(match status {
            PaymentStatus::Success => ResultCode::Success,
            PaymentStatus::Cancelled => ResultCode::OrderIsCanceled,
            _ => ResultCode::PaymentInProcess,
        }),
        payment_status: Some(status),
        payment_request_id: Some(order.merchant_no.clone()),
        payment_id: Some(order.gateway_no.clone()),
        payment_amount: Some(amount(order.amount, &order.currency)),
        payment_time: order.paid_at.map(iso),
        payment_method_type: method(&order),
        transactions: Some(transactions),
        ..Default::default()
    }
}

fn refund(
    gateway: &Arc<Gateway>,
    client_id: &str,
    r: &RefundRequest,
    now: OffsetDateTime,
) -> RefundResponse {
    let target = OrderRef {
        gateway_no: Some(r.payment_id.as_str()),
        ..Default::default()
    };
    let currency = r.refund_amount.currency.as_str();
    let fingerprint = serde_json::json!([r.payment_id, r.refund_amount]).to_string();
    // One lock for the checks and the refund: concurrent refunds are serialized here.
    let outcome = {
        let mut store = gateway.store();
        let Some(order) = store.get(target) else {
            return RefundResponse {
                result: Some(store_failure(&StoreError::NotFound)),
                ..Default::default()
            };
        };
        if order.currency != currency {
            return RefundResponse {
                result: Some(failed(
                    ResultCode::ParamIllegal,
                    format!(
                        "refundAmount.currency {currency} is not the payment's {}",
                        order.currency
                    ),
                )),
                ..Default::default()
            };
        }
        let seq = store.next_seq();
        let date = payspec_runtime::clock::compact_timestamp(now);
        store.refund(
            target,
            Refund {
                merchant_no: r.refund_request_id.clone(),
                gateway_no: format!("{}1940108001001880R{seq:010}", date.get(..8).unwrap_or("")),
                channel_no: format!("AMSR{seq:012}"),
                amount: r.refund_amount.value,
                time: now,
                fingerprint,
            },
        )
    };
    match outcome {
        Ok(done) => {
            if let Some(url) = &r.refund_notify_url {
                notify_refund(gateway, client_id, url, &done.order, &done.refund);
            }
            RefundResponse {
                result: Some(success()),
                refund_request_id: Some(done.refund.merchant_no.clone()),
                refund_id: Some(done.refund.gateway_no.clone()),
                payment_id: Some(done.order.gateway_no.clone()),
                refund_amount: Some(amount(done.refund.amount, &done.order.currency)),
                refund_time: Some(iso(done.refund.time)),
                ..Default::default()
            }
        }
        Err(e) => RefundResponse {
            result: Some(store_failure(&e)),
            ..Default::default()
        },
    }
}

fn inquiry_refund(gateway: &Arc<Gateway>, r: &InquiryRefundRequest) -> InquiryRefundResponse {
    // Antom: when both are given, refundId wins.
    let store = gateway.store();
    let found = match &r.refund_id {
        Some(id) => store.find_refund(None, Some(id)),
        None => store.find_refund(r.refund_request_id.as_deref(), None),
    };
    let Some((order, refund)) = found else {
        return InquiryRefundResponse {
            result: Some(failed(ResultCode::OrderNotExist, "no such refund")),
            ..Default::default()
        };
    };
    InquiryRefundResponse {
        result: Some(success()),
        refund_id: Some(refund.gateway_no.clone()),
        refund_request_id: Some(refund.merchant_no.clone()),
        refund_amount: Some(amount(refund.amount, &order.currency)),
        refund_status: Some(RefundStatus::Success),
        refund_time: Some(iso(refund.time)),
        ..Default::default()
    }
}

fn payment_reply_accepted(body: &[u8]) -> bool {
    shared::reply_status_matches(payspec_antom::NOTIFY_PAYMENT_REPLY, body)
}

fn refund_reply_accepted(body: &[u8]) -> bool {
    shared::reply_status_matches(payspec_antom::NOTIFY_REFUND_REPLY, body)
}

/// notifyPayment (PAYMENT_RESULT) of a paid order.
fn notify_payment(gateway: &Arc<Gateway>, order: &Order) -> Option<Delivery> {
    let url = order.notify_url.clone()?;
    let data = NotifyPaymentData {
        notify_type: Some(NotifyType::PaymentResult),
        result: Some(pay_result(order)),
        payment_request_id: Some(order.merchant_no.clone()),
        payment_id: Some(order.gateway_no.clone()),
        payment_amount: Some(amount(order.amount, &order.currency)),
        payment_time: order.paid_at.map(iso),
        payment_method_type: method(order),
        ..Default::default()
    };
    shared::delivery::<Api, _>(
        gateway,
        "notifyPayment",
        order.merchant_no.clone(),
        url,
        order.client_id.clone(),
        &data,
        payment_reply_accepted,
    )
}

/// notifyRefund (REFUND_RESULT) of a refund, sent at once to the request's `refundNotifyUrl`.
fn notify_refund(
    gateway: &Arc<Gateway>,
    client_id: &str,
    url: &str,
    order: &Order,
    refund: &Refund,
) {
    let data = NotifyRefundData {
        notify_type: Some(NotifyType::RefundResult),
        result: Some(success()),
        refund_status: Some(RefundStatus::Success),
        refund_request_id: Some(refund.merchant_no.clone()),
        refund_id: Some(refund.gateway_no.clone()),
        refund_amount: Some(amount(refund.amount, &order.currency)),
        refund_time: Some(iso(refund.time)),
        ..Default::default()
    };
    if let Some(delivery) = shared::delivery::<Api, _>(
        gateway,
        "notifyRefund",
        refund.merchant_no.clone(),
        url.to_owned(),
        client_id.to_owned(),
        &data,
        refund_reply_accepted,
    ) {
        gateway.dispatch(delivery);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mock_serves_every_operation_of_the_spec() {
        for op in <Api as payspec_runtime::scheme::header_rsa::Api>::OPERATIONS {
            if let Err(payspec_runtime::ValidationError::Invalid { reason, .. }) =
                AnyRequest::from_json(op.name, "{}")
            {
                assert_ne!(reason, "unknown operation", "{}", op.name);
            }
        }
        assert!(AnyRequest::from_json("noSuchOperation", "{}").is_err());
    }

    #[test]
    fn payment_id_wins_over_the_request_id() {
        let (request, payment) = (Some("req".to_owned()), Some("pay".to_owned()));
        let both = order_ref(&request, &payment);
        assert_eq!((both.merchant_no, both.gateway_no), (None, Some("pay")));
        let only_request = order_ref(&request, &None);
        assert_eq!(only_request.merchant_no, Some("req"));
    }

    #[test]
    fn replies_are_checked_against_the_spec_replies() {
        assert!(payment_reply_accepted(
            payspec_antom::NOTIFY_PAYMENT_REPLY.as_bytes()
        ));
        assert!(refund_reply_accepted(
            payspec_antom::NOTIFY_REFUND_REPLY.as_bytes()
        ));
        assert!(!payment_reply_accepted(
            br#"{"result":{"resultStatus":"F"}}"#
        ));
    }
}
