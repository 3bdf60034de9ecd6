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
    ConsultPaymentResponse, InquiryPaymentRequest, InquiryPaymentResponse,
    InquiryRegistrationStatusRequest, InquiryRegistrationStatusResponse, NotifyPaymentData,
    NotifyRegistrationStatusData, PayRequest, PayResponse, PaymentMethodType, PaymentOption,
    PspRegistrationResult, RefundRequest, RefundResponse, RegistrationRequest,
    RegistrationResponse, RegistrationResult, RegistrationStatus, ResultCode, ResultStatus,
    Transaction, TransactionStatus, TransactionType,
};
use payspec_alipayplus::{Api, HEADER_CLIENT_ID};
use payspec_runtime::scheme::header_rsa::Operation;
use serde::Serialize;
use time::OffsetDateTime;

use crate::gateway::{pay_link, ApiHandler, Gateway};
use crate::header_rsa::{self as shared, iso, Refusal};
use crate::http::{Incoming, Outgoing};
use crate::notify::Delivery;
use crate::store::{
    Action, Created, Order, OrderRef, OrderState, Refund, Registration, StoreError,
};

/// The typed request of any Alipay+ operation (the mock dispatches on it).
#[derive(Clone, Debug)]
enum AnyRequest {
    Pay(Box<PayRequest>),
    InquiryPayment(InquiryPaymentRequest),
    CancelPayment(CancelPaymentRequest),
    Refund(Box<RefundRequest>),
    /// Checked; the answer does not depend on its members.
    ConsultPayment,
    Registration(Box<RegistrationRequest>),
    InquiryRegistrationStatus(InquiryRegistrationStatusRequest),
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
            RegistrationRequest::NAME => AnyRequest::Registration(Box::new(parse(json)?)),
            InquiryRegistrationStatusRequest::NAME => {
                AnyRequest::InquiryRegistrationStatus(parse(json)?)
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
        StoreError::OrderNoUsed | StoreError::RefundNoUsed | StoreError::RegistrationNoUsed => {
            ResultCode::RepeatReqInconsistent
        }
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

    fn operation(&self, path: &str) -> Option<(&'static str, bool)> {
        shared::operation::<Api>(path)
    }

    fn unknown(&self, gateway: &Arc<Gateway>, request: &Incoming) -> Outgoing {
        shared::unknown::<Api>(gateway, request)
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
            let applied = {
                let mut store = gateway.store();
                match store.get(target).map(cancel_window_end) {
                    Some(Some(end)) if now >= end => {
                        let r = failed(
                            ResultCode::CancelWindowExceed,
                            format!("the cancellable period ended at {}", iso(end)),
                        );
                        return answer(gateway, path, Some(client_id), &ResultOnly { result: r });
                    }
                    _ => store.apply(target, Action::Close, now),
                }
            };
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
        AnyRequest::Registration(r) => {
            let body = register(gateway, client_id, r);
            answer(gateway, path, Some(client_id), &body)
        }
        AnyRequest::InquiryRegistrationStatus(r) => {
            let store = gateway.store();
            let found = store.registration(
                r.registration_request_id.as_deref(),
                r.reference_merchant_id.as_deref(),
                r.reference_store_id.as_deref(),
            );
            let body = match found {
                Some(reg) => InquiryRegistrationStatusResponse {
                    result: Some(success()),
                    registration_result: Some(collective_result()),
                    psp_registration_result_list: Some(psp_results(reg)),
                    ..Default::default()
                },
                None => InquiryRegistrationStatusResponse {
                    result: Some(failed(ResultCode::ProcessFail, "no such registration")),
                    ..Default::default()
                },
            };
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
    details.insert("initiated".into(), now.unix_timestamp().into());
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
        if let Some(end) = refund_window_end(order) {
            if now > end {
                return RefundResponse {
                    result: Some(failed(
                        ResultCode::RefundWindowExceed,
                        format!("the refund window ended at {}", iso(end)),
                    )),
                    ..Default::default()
                };
            }
        }
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

/// The end of a payment's cancellable period: 00:15 UTC+8 of the day after it was initiated
/// (APS-DOC api_acq/cancel_payment); `None` for an order without its initiation time.
fn cancel_window_end(order: &Order) -> Option<OffsetDateTime> {
    let initiated = order.details.get("initiated")?.as_i64()?;
    let utc8 = time::UtcOffset::from_hms(8, 0, 0).ok()?;
    let local = OffsetDateTime::from_unix_timestamp(initiated)
        .ok()?
        .to_offset(utc8);
    let next_day = local.date().next_day()?;
    Some(next_day.with_hms(0, 15, 0).ok()?.assume_offset(utc8))
}

/// The end of a payment's refund window: one calendar year after it was paid (APS-DOC
/// api_acq/refund; 29 February becomes 28 February).
fn refund_window_end(order: &Order) -> Option<OffsetDateTime> {
    let paid = order.paid_at?;
    let year = paid.year().checked_add(1)?;
    paid.replace_year(year)
        .or_else(|_| paid.replace_day(28).and_then(|p| p.replace_year(year)))
        .ok()
}

/// Every registration is approved by the mock's wallets at once, except a merchant whose id
/// contains `REJECT`, which is rejected (to exercise that path).
fn psp_results(reg: &Registration) -> Vec<PspRegistrationResult> {
    let rejected = reg.merchant_id.contains("REJECT");
    [PaymentMethodType::Gcash, PaymentMethodType::AlipayCn]
        .into_iter()
        .map(|wallet| PspRegistrationResult {
            psp_name: Some(wallet),
            product_codes: Some(reg.products.clone()),
            registration_result: Some(RegistrationResult {
                registration_status: Some(if rejected {
                    RegistrationStatus::Rejected
                } else {
                    RegistrationStatus::Approved
                }),
                rejection_reason: rejected.then(|| "rejected by the mock".to_owned()),
                ..Default::default()
            }),
            ..Default::default()
        })
        .collect()
}

fn collective_result() -> RegistrationResult {
    RegistrationResult {
        registration_status: Some(RegistrationStatus::Completed),
        ..Default::default()
    }
}

fn register(
    gateway: &Arc<Gateway>,
    client_id: &str,
    r: &RegistrationRequest,
) -> RegistrationResponse {
    let fingerprint = serde_json::json!([
        r.product_codes,
        r.merchant_info.reference_merchant_id,
        r.store_info.as_ref().map(|s| &s.reference_store_id),
    ])
    .to_string();
    let registered = gateway.store().register(Registration {
        request_id: r.registration_request_id.clone(),
        merchant_id: r.merchant_info.reference_merchant_id.clone(),
        store_id: r.store_info.as_ref().map(|s| s.reference_store_id.clone()),
        products: r.product_codes.clone(),
        fingerprint,
    });
    match registered {
        Ok((reg, new)) => {
            if let (true, Some(url)) = (new, &r.registration_notify_url) {
                notify_registration(gateway, client_id, url, &reg);
            }
            RegistrationResponse {
                result: Some(success()),
                pass_through_info: r.pass_through_info.clone(),
                ..Default::default()
            }
        }
        Err(e) => RegistrationResponse {
            result: Some(store_failure(&e)),
            ..Default::default()
        },
    }
}

fn registration_reply_accepted(body: &[u8]) -> bool {
    shared::reply_status_matches(payspec_alipayplus::NOTIFY_REGISTRATION_STATUS_REPLY, body)
}

/// notifyRegistrationStatus of a new registration, to its `registrationNotifyUrl`.
fn notify_registration(gateway: &Arc<Gateway>, client_id: &str, url: &str, reg: &Registration) {
    let data = NotifyRegistrationStatusData {
        reference_merchant_id: Some(reg.merchant_id.clone()),
        reference_store_id: reg.store_id.clone(),
        registration_request_id: Some(reg.request_id.clone()),
        registration_result: Some(collective_result()),
        psp_registration_result_list: Some(psp_results(reg)),
        ..Default::default()
    };
    if let Some(delivery) = shared::delivery::<Api, _>(
        gateway,
        "notifyRegistrationStatus",
        reg.request_id.clone(),
        url.to_owned(),
        client_id.to_owned(),
        &data,
        registration_reply_accepted,
    ) {
        gateway.dispatch(delivery);
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
