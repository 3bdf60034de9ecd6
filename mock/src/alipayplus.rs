//! The Alipay+ ACQP API, served from `payspec-alipayplus`.
//!
//! Path → operation by the generated operation table; the request is verified like a
//! notification (the same signed layout: `POST <path>\n<Client-Id>.<Request-Time>.<body>`) with
//! the merchant key; the body is parsed strictly into the operation's request type; answers are typed response bodies of the spec, signed
//! with the gateway key in `Response-Time` / `Signature` headers.

use std::sync::Arc;

use payspec_alipayplus::types::response::Amount;
use payspec_alipayplus::types::{
    ApiResult, CancelPaymentRequest, CancelPaymentResponse, ConsultPaymentRequest,
    ConsultPaymentResponse, InquiryPaymentRequest, InquiryPaymentResponse, NotifyPaymentData,
    PayRequest, PayResponse, PaymentMethodType, PaymentOption, RefundRequest, RefundResponse,
    ResultCode, ResultStatus, Transaction, TransactionStatus, TransactionType,
};
use payspec_alipayplus::{Api, HEADER_CLIENT_ID};
use payspec_runtime::scheme::header_rsa::Operation;
use serde::Serialize;
use time::OffsetDateTime;

use crate::gateway::{pay_link, ApiHandler, Gateway};
use crate::header_rsa::{self as shared, iso, Refusal};
use crate::http::{Incoming, Outgoing};
use crate::notify::Delivery;
use crate::store::{Action, Created, Order, OrderRef, OrderState, Refund, StoreError};

/// The typed request of any Alipay+ operation (the mock dispatches on it).
#[derive(Clone, Debug)]
enum AnyRequest {
    Pay(Box<PayRequest>),
    InquiryPayment(InquiryPaymentRequest),
    CancelPayment(CancelPaymentRequest),
    Refund(Box<RefundRequest>),
    /// Checked; the answer does not depend on its members.
    ConsultPayment,
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
            CancelPaymentRequest::NAME => AnyRequest::CancelPayment(parse(json)?),
            RefundRequest::NAME => AnyRequest::Refund(Box::new(parse(json)?)),
            ConsultPaymentRequest::NAME => {
                parse::<ConsultPaymentRequest>(json)?;
                AnyRequest::ConsultPayment
            }
            other => {
                return Err(payspec_runtime::ValidationError::Invalid {
                    field: other.to_owned(),
                    reason: "unknown operation".into(),
                })
            }
        })
    }
}

/// The mock's acquirer id.
const ACQUIRER_ID: &str = "2022MOCKACQUIRER0001";

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
        StoreError::OrderNoUsed | StoreError::RefundNoUsed => ResultCode::RepeatReqInconsistent,
        StoreError::InvalidState {
            state: OrderState::Closed,
            ..
        } => ResultCode::OrderIsCanceled,
        StoreError::ExceedsRemaining { .. } => ResultCode::from_wire("REFUND_AMOUNT_EXCEED"),
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

/// A JSON answer, signed for `client_id` when there is one.
fn answer<T: Serialize>(
    gateway: &Gateway,
    path: &str,
    client_id: Option<&str>,
    body: &T,
) -> Outgoing {
    shared::answer::<Api, T>(gateway, path, client_id, body)
}

fn fail_answer(gateway: &Gateway, path: &str, client_id: Option<&str>, r: ApiResult) -> Outgoing {
    answer(gateway, path, client_id, &ResultOnly { result: r })
}

/// Alipay+ (ACQP) as a mock handler.
pub(crate) struct AlipayPlusApi;

impl ApiHandler for AlipayPlusApi {
    fn handle(&self, gateway: &Arc<Gateway>, request: &Incoming) -> Outgoing {
        handle(gateway, request)
    }

    fn notification(&self, gateway: &Arc<Gateway>, order: &Order) -> Option<Delivery> {
        notification(gateway, order)
    }
}

fn handle(gateway: &Arc<Gateway>, request: &Incoming) -> Outgoing {
    let path = request.path.as_str();
    let (name, client_id, text) = match shared::authenticate::<Api>(gateway, request) {
        Ok(ok) => (ok.name, ok.client_id, ok.text),
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
            return fail_answer(gateway, path, client, r);
        }
    };
    let typed = match AnyRequest::from_json(name, text) {
        Ok(typed) => typed,
        Err(e) => {
            let r = failed(ResultCode::ParamIllegal, e.to_string());
            return fail_answer(gateway, path, Some(client_id), r);
        }
    };
    let now = gateway.now();
    match &typed {
        AnyRequest::Pay(r) => {
            let body = pay(gateway, client_id, r, now);
            answer(gateway, path, Some(client_id), &body)
        }
        AnyRequest::InquiryPayment(r) => {
            let body = inquiry(gateway, order_ref(&r.payment_request_id, &r.payment_id));
            answer(gateway, path, Some(client_id), &body)
        }
        AnyRequest::CancelPayment(r) => {
            let target = order_ref(&r.payment_request_id, &r.payment_id);
            let applied = gateway.store().apply(target, Action::Close, now);
            let body = match applied {
                Ok((order, _)) => CancelPaymentResponse {
                    unknown_members: Default::default(),
                    result: Some(success()),
                    acquirer_id: Some(ACQUIRER_ID.into()),
                    psp_id: Some(psp_id(&order)),
                },
                Err(e) => CancelPaymentResponse {
                    result: Some(store_failure(&e)),
                    ..Default::default()
                },
            };
            answer(gateway, path, Some(client_id), &body)
        }
        AnyRequest::Refund(r) => {
            let body = refund(gateway, r, now);
            answer(gateway, path, Some(client_id), &body)
        }
        AnyRequest::ConsultPayment => {
            let options = PaymentMethodType::VALUES
                .iter()
                .enumerate()
                .map(|(i, value)| PaymentOption {
                    payment_method_type: Some(PaymentMethodType::from_wire(value)),
                    payment_method_category: Some("WALLET".into()),
                    enabled: Some(true),
                    preferred: Some(i == 0),
                    ..Default::default()
                })
                .collect();
            let body = ConsultPaymentResponse {
                unknown_members: Default::default(),
                result: Some(success()),
                payment_options: Some(options),
            };
            answer(gateway, path, Some(client_id), &body)
        }
    }
}

fn order_ref<'a>(request_id: &'a Option<String>, payment_id: &'a Option<String>) -> OrderRef<'a> {
    OrderRef {
        merchant_no: request_id.as_deref(),
        gateway_no: payment_id.as_deref(),
        channel_no: None,
    }
}

fn wallet(order: &Order) -> &str {
    order.detail("wallet").unwrap_or("CONNECT_WALLET")
}

fn psp_id(order: &Order) -> String {
    format!("1022{}", wallet(order))
}

/// The status of a payment (`paymentResult`, and the `result` of a repeated pay).
fn payment_status(order: &Order) -> ApiResult {
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
    // Required members: the request type has them (the compiler saw to it).
    let (request_id, value, currency) = (
        r.payment_request_id.as_str(),
        r.payment_amount.value,
        r.payment_amount.currency.as_str(),
    );
    // The members whose change makes a repeat inconsistent (reference 6.1).
    let fingerprint = serde_json::json!([
        r.payment_amount,
        r.payment_factor,
        r.settlement_strategy,
        r.payment_method.payment_method_type,
    ])
    .to_string();
    let mut details = serde_json::Map::new();
    details.insert(
        "wallet".into(),
        r.payment_method.payment_method_type.as_str().into(),
    );
    let created = {
        let mut store = gateway.store();
        let seq = store.next_seq();
        let date = payspec_runtime::clock::compact_timestamp(now);
        store.create(Order {
            merchant_no: request_id.to_owned(),
            gateway_no: format!("{}1940108001001{seq:08}", date.get(..8).unwrap_or("")),
            channel_no: format!("MPP{seq:012}"),
            operation: "pay",
            amount: value,
            currency: currency.to_owned(),
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
    let link = pay_link(&gateway.base_url, &order.merchant_no);
    PayResponse {
        result: Some(payment_status(&order)),
        acquirer_id: Some(ACQUIRER_ID.into()),
        psp_id: Some(psp_id(&order)),
        payment_id: Some(order.gateway_no.clone()),
        payment_amount: Some(amount(order.amount, &order.currency)),
        normal_url: Some(link),
        payment_time: order.paid_at.map(iso),
        wallet_brand_name: order.detail("wallet").map(str::to_owned),
        ..Default::default()
    }
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
            unknown_members: Default::default(),
            transaction_result: Some(success()),
            transaction_id: Some(x.gateway_no.clone()),
            transaction_type: Some(TransactionType::Refund),
            transaction_status: Some(TransactionStatus::Success),
            transaction_amount: Some(amount(x.amount, &order.currency)),
            transaction_request_id: Some(x.merchant_no.clone()),
            transaction_time: Some(iso(x.time)),
        })
        .collect();
    let paid = order.paid_at.is_some();
    InquiryPaymentResponse {
        result: Some(success()),
        payment_result: Some(payment_status(&order)),
        acquirer_id: Some(ACQUIRER_ID.into()),
        psp_id: Some(psp_id(&order)),
        payment_request_id: Some(order.merchant_no.clone()),
        payment_id: Some(order.gateway_no.clone()),
        payment_amount: Some(amount(order.amount, &order.currency)),
        payment_time: order.paid_at.map(iso),
        customer_id: paid.then(|| "mock-customer".to_owned()),
        wallet_brand_name: order.detail("wallet").map(str::to_owned),
        transactions: Some(transactions),
        mpp_payment_id: Some(order.channel_no.clone()),
        ..Default::default()
    }
}

fn refund(gateway: &Arc<Gateway>, r: &RefundRequest, now: OffsetDateTime) -> RefundResponse {
    let target = order_ref(&r.payment_request_id, &r.payment_id);
    let (refund_no, value, currency) = (
        r.refund_request_id.as_str(),
        r.refund_amount.value,
        r.refund_amount.currency.as_str(),
    );
    let fingerprint =
        serde_json::json!([r.payment_request_id, r.payment_id, r.refund_amount]).to_string();
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
                merchant_no: refund_no.to_owned(),
                gateway_no: format!("{}1940108001002{seq:08}", date.get(..8).unwrap_or("")),
                channel_no: format!("MPPR{seq:012}"),
                amount: value,
                time: now,
                fingerprint,
            },
        )
    };
    match outcome {
        Ok(done) => RefundResponse {
            result: Some(success()),
            acquirer_id: Some(ACQUIRER_ID.into()),
            psp_id: Some(psp_id(&done.order)),
            refund_id: Some(done.refund.gateway_no.clone()),
            refund_time: Some(iso(done.refund.time)),
            refund_amount: Some(amount(done.refund.amount, &done.order.currency)),
            ..Default::default()
        },
        Err(e) => RefundResponse {
            result: Some(store_failure(&e)),
            ..Default::default()
        },
    }
}

/// `true` if a notification reply's `result.resultStatus` is the spec reply's (`S`).
fn reply_accepted(body: &[u8]) -> bool {
    shared::reply_status_matches(payspec_alipayplus::NOTIFY_PAYMENT_REPLY, body)
}

/// `notifyPayment` of a paid order, signed over the receiver's path with a fresh
/// `Request-Time` on every try.
fn notification(gateway: &Arc<Gateway>, order: &Order) -> Option<Delivery> {
    let url = order.notify_url.clone()?;
    let data = NotifyPaymentData {
        payment_result: Some(payment_status(order)),
        payment_request_id: Some(order.merchant_no.clone()),
        payment_id: Some(order.gateway_no.clone()),
        acquirer_id: Some(ACQUIRER_ID.into()),
        psp_id: Some(psp_id(order)),
        customer_id: Some("mock-customer".into()),
        payment_amount: Some(amount(order.amount, &order.currency)),
        payment_time: order.paid_at.map(iso),
        wallet_brand_name: order.detail("wallet").map(str::to_owned),
        ..Default::default()
    };
    shared::delivery::<Api, _>(
        gateway,
        "notifyPayment",
        order.merchant_no.clone(),
        url,
        order.client_id.clone(),
        &data,
        reply_accepted,
    )
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
    fn reply_check_follows_the_spec_reply() {
        assert!(reply_accepted(
            payspec_alipayplus::NOTIFY_PAYMENT_REPLY.as_bytes()
        ));
        assert!(!reply_accepted(
            br#"{"result":{"resultCode":"X","resultStatus":"F"}}"#
        ));
        assert!(!reply_accepted(b"ok"));
    }
}
