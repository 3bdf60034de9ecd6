//! The Ksher classic API, served from `payspec-ksher`.
//!
//! Path → operation by the generated request types' `NAME` / `PATH`; `sign` checked with the
//! merchant key; parameters parsed by the runtime's `read_params` into the operation's typed
//! request ([`AnyRequest`]); answers are typed `data` of the
//! spec, signed over `data` (or the operation's signed subset) with the gateway key.

use std::fmt::Display;
use std::sync::Arc;

use payspec_ksher::operations::{
    app_pay, gateway_pay, jsapi_pay, mini_program_pay, native_pay, order_refund, quick_pay,
    refund_query, wap_pay, web_pay,
};
use payspec_ksher::types::{
    Channel, FeeType, GatewayPayData, GatewayResult, GetPayoutBalanceData, GetSettlementInfoData,
    MerchantInfoData, MiniProgramPayData, NativePayData, Operator, OrderQueryData,
    OrderQueryPayoutData, OrderRefundData, OrderResult, PageResult, PaymentResult, PayoutData,
    RateQueryData, RefundOrder, RefundQueryData, RefundState, Settlement, SimpleResult,
    SupportChannel,
};
use payspec_ksher::{CommonParams, Host};
use payspec_runtime::scheme::sorted_params::{read_params, Api as _, Operation};
use payspec_runtime::sorted_params::{
    sign_data_document, verify_request_params, RequestVerifyError,
};
use payspec_runtime::ValidationError;
use payspec_runtime::{NonceSource, PublicKey};
use serde::Serialize;
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::gateway::{pay_link, ApiHandler, Gateway};
use crate::http::{Incoming, Outgoing};
use crate::notify::{Delivery, Message};
use crate::store::{Action, Created, Order, OrderRef, OrderState, Payout, Refund, StoreError};

/// Envelope `code` of a request whose parameters are missing, unknown, invalid or unreadable.
pub const CODE_PARAMS: i64 = 1001;
/// Envelope `code` of a request whose `sign` is missing, malformed or does not verify.
pub const CODE_SIGN: i64 = 1002;
/// Envelope `code` of a request from another `appid` than the configured one.
pub const CODE_APPID: i64 = 1003;

/// The parameter that carries the request signature.
const SIGN_PARAM: &str = "sign";

/// The Ksher local time (+07:00), used in `time_end`, `refund_time` and envelopes.
fn local(t: OffsetDateTime) -> OffsetDateTime {
    t.to_offset(time::macros::offset!(+7))
}

/// `YYYY-MM-DD hh:mm:ss`.
fn datetime_text(t: OffsetDateTime) -> String {
    let t = local(t);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn compact(t: OffsetDateTime) -> String {
    payspec_runtime::clock::compact_timestamp(local(t))
}

/// One request's context: who sent it, its nonce (echoed), the time.
struct Ctx {
    appid: String,
    nonce: String,
    now: OffsetDateTime,
    /// Business parameters (all but `sign`, `nonce_str`, `time_stamp`), sorted.
    fingerprint: String,
    base_url: String,
}

impl Ctx {
    fn pay_link(&self, merchant_no: &str) -> String {
        pay_link(&self.base_url, merchant_no)
    }
}

fn to_map<T: Serialize>(value: &T) -> Map<String, Value> {
    match serde_json::to_value(value) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

/// `data` of a business failure: `result` FAIL with `err_code` and `err_msg`.
fn fail(
    ctx: &Ctx,
    mch_order_no: Option<&str>,
    code: &str,
    msg: impl Display,
) -> Map<String, Value> {
    let mut data = Map::new();
    data.insert("appid".into(), ctx.appid.clone().into());
    data.insert("nonce_str".into(), ctx.nonce.clone().into());
    if let Some(no) = mch_order_no {
        data.insert("mch_order_no".into(), no.into());
    }
    data.insert("result".into(), OrderResult::Fail.as_str().into());
    data.insert("err_code".into(), code.into());
    data.insert("err_msg".into(), msg.to_string().into());
    data
}

fn store_fail(ctx: &Ctx, mch_order_no: Option<&str>, e: &StoreError) -> Map<String, Value> {
    let code = match e {
        StoreError::NotFound => "ORDERNOTEXIST",
        StoreError::OrderNoUsed => "MCH_ORDER_NO_USED",
        StoreError::RefundNoUsed => "MCH_REFUND_NO_USED",
        StoreError::InvalidState {
            state: OrderState::Paid,
            ..
        } => "ORDERPAID",
        StoreError::InvalidState {
            state: OrderState::Pending,
            ..
        } => "ORDERNOTPAY",
        StoreError::InvalidState { .. } => "ORDERCLOSED",
        StoreError::HasRefunds => "ORDER_HAS_REFUNDS",
        StoreError::ExceedsRemaining { .. } => "REFUND_FEE_EXCEEDED",
        StoreError::InsufficientBalance { .. } => "BALANCE_NOT_ENOUGH",
        StoreError::AmountTooLarge { .. } => "AMOUNT_TOO_LARGE",
        StoreError::Overflow | StoreError::RegistrationNoUsed => "SYSTEMERROR",
    };
    fail(ctx, mch_order_no, code, e)
}

/// An unsigned error envelope (`code` ≠ 0): the call failed, `msg` says why.
fn error_envelope(host: Host, code: i64, msg: &str, now: OffsetDateTime) -> Outgoing {
    let mut doc = Map::new();
    doc.insert("code".into(), code.into());
    doc.insert("msg".into(), msg.into());
    for (name, value) in envelope_extra(host, now) {
        doc.insert(name.into(), value);
    }
    Outgoing::json(200, Value::Object(doc).to_string())
}

/// The unsigned envelope members of each host (reference 2.4).
fn envelope_extra(host: Host, now: OffsetDateTime) -> Vec<(&'static str, Value)> {
    match host {
        Host::Main => vec![
            ("status_code", "".into()),
            ("status_msg", "".into()),
            (
                "time_stamp",
                local(now)
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default()
                    .into(),
            ),
            ("version", "3.0.0".into()),
        ],
        Host::Gateway => vec![("message", "SUCCESS".into()), ("lang", "".into())],
    }
}

fn signed_document(
    gateway: &Gateway,
    host: Host,
    name: &str,
    data: &Map<String, Value>,
    now: OffsetDateTime,
) -> Result<String, String> {
    let subset =
        payspec_runtime::scheme::sorted_params::signed_fields::<payspec_ksher::Api>(name).flatten();
    sign_data_document(
        data,
        &envelope_extra(host, now),
        subset,
        &gateway.gateway_key,
        payspec_ksher::DIGEST,
    )
    .map_err(|e| e.to_string())
}

/// Defines [`AnyRequest`]: one variant per operation, read by name.
macro_rules! any_request {
    ($($variant:ident($module:ident::$ty:ident)),* $(,)?) => {
        /// The typed request of any Ksher operation (the mock dispatches on it).
        #[derive(Clone, Debug)]
        pub enum AnyRequest {
            $(
                #[doc = concat!("`", stringify!($module), "`")]
                $variant(Box<payspec_ksher::operations::$module::$ty>),
            )*
        }

        impl AnyRequest {
            /// Reads operation `name` from its parameters (common ones returned apart).
            pub fn from_params<'a>(
                name: &str,
                params: impl IntoIterator<Item = (&'a str, &'a str)>,
            ) -> Result<(Self, CommonParams), ValidationError> {
                $(
                    if name == <payspec_ksher::operations::$module::$ty as Operation>::NAME {
                        let (r, common) = read_params(params)?;
                        return Ok((AnyRequest::$variant(Box::new(r)), common));
                    }
                )*
                Err(ValidationError::Invalid { field: name.to_owned(), reason: "unknown operation".into() })
            }
        }
    };
}

any_request! {
    QuickPay(quick_pay::QuickPayRequest),
    NativePay(native_pay::NativePayRequest),
    JsapiPay(jsapi_pay::JsapiPayRequest),
    MiniProgramPay(mini_program_pay::MiniProgramPayRequest),
    AppPay(app_pay::AppPayRequest),
    WapPay(wap_pay::WapPayRequest),
    WebPay(web_pay::WebPayRequest),
    OrderQuery(order_query::OrderQueryRequest),
    OrderClose(order_close::OrderCloseRequest),
    OrderReverse(order_reverse::OrderReverseRequest),
    OrderRefund(order_refund::OrderRefundRequest),
    RefundQuery(refund_query::RefundQueryRequest),
    RateQuery(rate_query::RateQueryRequest),
    MerchantInfo(merchant_info::MerchantInfoRequest),
    GetSettlementInfo(get_settlement_info::GetSettlementInfoRequest),
    GetPayoutBalance(get_payout_balance::GetPayoutBalanceRequest),
    Payout(payout::PayoutRequest),
    OrderQueryPayout(order_query_payout::OrderQueryPayoutRequest),
    GatewayPay(gateway_pay::GatewayPayRequest),
    GatewayOrderQuery(gateway_order_query::GatewayOrderQueryRequest),
    CancelOrder(cancel_order::CancelOrderRequest),
}

/// A received Ksher form request whose signature verified, typed.
pub struct FormRequest {
    /// Every parameter as received (decoded), `sign` included.
    pub params: Vec<(String, String)>,
    /// The typed request of the operation.
    pub typed: AnyRequest,
    /// The common parameters it carried.
    pub common: CommonParams,
}

/// The mock's form-body parser: decodes `body` (`application/x-www-form-urlencoded`), checks the
/// signature with the merchant's key (duplicates refused) and types the parameters of operation
/// `name`. On failure: the Ksher error code and message the mock answers with.
pub fn read_form_request(
    name: &str,
    body: &[u8],
    merchant_key: &PublicKey,
) -> Result<FormRequest, (i64, String)> {
    let params: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
    if let Err(e) = verify_request_params(&params, SIGN_PARAM, merchant_key, payspec_ksher::DIGEST)
    {
        let code = match e {
            RequestVerifyError::Duplicate(_) => CODE_PARAMS,
            _ => CODE_SIGN,
        };
        return Err((code, e.to_string()));
    }
    let unsigned = params
        .iter()
        .filter(|(n, _)| n != SIGN_PARAM)
        .map(|(n, v)| (n.as_str(), v.as_str()));
    let (typed, common) =
        AnyRequest::from_params(name, unsigned).map_err(|e| (CODE_PARAMS, e.to_string()))?;
    Ok(FormRequest {
        params,
        typed,
        common,
    })
}

/// The Ksher classic API as a mock handler.
pub(crate) struct KsherApi;

impl ApiHandler for KsherApi {
    fn handle(&self, gateway: &Arc<Gateway>, request: &Incoming) -> Outgoing {
        handle(gateway, request)
    }

    fn notification(&self, gateway: &Arc<Gateway>, order: &Order) -> Option<Delivery> {
        notification(gateway, order)
    }

    fn operation(&self, path: &str) -> Option<(&'static str, bool)> {
        payspec_ksher::Api::OPERATIONS
            .iter()
            .find(|e| e.path == path)
            .map(|e| (e.name, e.creates))
    }

    fn unknown(&self, gateway: &Arc<Gateway>, request: &Incoming) -> Outgoing {
        unknown_answer(gateway, request)
    }
}

/// A signed `data` whose `result` is `NOTSURE` (the outcome is unknown), echoing the request's
/// order and refund numbers and nonce.
fn unknown_answer(gateway: &Arc<Gateway>, request: &Incoming) -> Outgoing {
    let Some((name, host)) = payspec_ksher::Api::OPERATIONS
        .iter()
        .find(|e| e.path == request.path)
        .map(|e| (e.name, e.host))
    else {
        return Outgoing::text(404, "no Ksher operation at this path");
    };
    let mut data = Map::new();
    data.insert("result".into(), "NOTSURE".into());
    for (key, value) in form_urlencoded::parse(&request.body) {
        if matches!(
            key.as_ref(),
            "mch_order_no" | "mch_refund_no" | "appid" | "nonce_str"
        ) {
            data.insert(key.into_owned(), value.into_owned().into());
        }
    }
    match signed_document(gateway, host, name, &data, gateway.now()) {
        Ok(body) => Outgoing::json(200, body),
        Err(e) => Outgoing::text(500, &format!("cannot sign the answer: {e}")),
    }
}

fn handle(gateway: &Arc<Gateway>, request: &Incoming) -> Outgoing {
    // Path → operation by the generated route table.
    let Some((name, host, rules)) = payspec_ksher::Api::OPERATIONS
        .iter()
        .find(|e| e.path == request.path)
        .map(|e| (e.name, e.host, e.common_rules))
    else {
        return Outgoing::text(404, "no Ksher operation at this path");
    };
    if request.method != "POST" {
        return Outgoing::text(405, "Ksher operations are POST")
            .with_header("Allow", "POST".into());
    }
    let now = gateway.now();
    let FormRequest {
        params,
        typed,
        common,
    } = match read_form_request(name, &request.body, &gateway.merchant_key) {
        Ok(form) => form,
        Err((code, message)) => return error_envelope(host, code, &message, now),
    };
    // The merchant id, under `appid` or a name the operation accepts for it (`mch_appid`).
    let appid_names = rules
        .iter()
        .filter(|r| r.name == "appid")
        .flat_map(|r| r.aliases.iter().copied());
    let appid = std::iter::once("appid")
        .chain(appid_names)
        .find_map(|n| common.get(n))
        .map(str::to_owned);
    let (Some(appid), Some(nonce)) = (appid, common.get("nonce_str").map(str::to_owned)) else {
        let missing = if params.iter().any(|(n, _)| n == "appid") {
            "nonce_str"
        } else {
            "appid"
        };
        return error_envelope(
            host,
            CODE_PARAMS,
            &format!("missing required parameter `{missing}`"),
            now,
        );
    };
    if let Some(expected) = &gateway.client_id {
        if *expected != appid {
            return error_envelope(
                host,
                CODE_APPID,
                &format!("appid `{appid}` is not the mock's merchant"),
                now,
            );
        }
    }
    let mut business: Vec<(&str, &str)> = params
        .iter()
        .filter(|(n, _)| !matches!(n.as_str(), SIGN_PARAM | "nonce_str" | "time_stamp"))
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    business.sort_unstable();
    let fingerprint = business
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let ctx = Ctx {
        appid,
        nonce,
        now,
        fingerprint,
        base_url: gateway.base_url.clone(),
    };
    let data = operate(gateway, &ctx, &typed);
    match signed_document(gateway, host, name, &data, now) {
        Ok(body) => Outgoing::json(200, body),
        Err(e) => Outgoing::text(500, &format!("cannot sign the answer: {e}")),
    }
}

/// What a pay operation creates.
struct NewOrder<'a> {
    mch_order_no: &'a str,
    amount: u64,
    fee_type: &'a FeeType,
    channel: Option<&'a Channel>,
    notify_url: Option<&'a str>,
    details: Vec<(&'static str, Option<&'a str>)>,
}

/// Creates the order (or finds it again for an identical retry). `Err` is the failure `data`.
fn create(
    gateway: &Arc<Gateway>,
    ctx: &Ctx,
    operation: &'static str,
    new: NewOrder<'_>,
) -> Result<(Order, bool), Map<String, Value>> {
    let mut details = Map::new();
    if let Some(channel) = new.channel {
        details.insert("channel".into(), channel.as_str().into());
    }
    for (name, value) in new.details {
        if let Some(v) = value {
            details.insert(name.into(), v.into());
        }
    }
    let created = {
        let mut store = gateway.store();
        let seq = store.next_seq();
        let order = Order {
            merchant_no: new.mch_order_no.to_owned(),
            gateway_no: format!("9{}{seq:06}", compact(ctx.now)),
            channel_no: format!("4200{seq:012}"),
            operation,
            amount: new.amount,
            currency: new.fee_type.as_str().to_owned(),
            state: OrderState::Pending,
            fingerprint: format!("{operation}?{}", ctx.fingerprint),
            notify_url: new.notify_url.map(str::to_owned),
            client_id: ctx.appid.clone(),
            paid_at: None,
            refunds: Vec::new(),
            details,
        };
        store.create(order)
    };
    match created {
        Ok(Created::New(order)) => {
            gateway.created(&order);
            Ok((order, true))
        }
        Ok(Created::Repeat(order)) => Ok((order, false)),
        Err(e) => Err(store_fail(ctx, Some(new.mch_order_no), &e)),
    }
}

fn channel_of(order: &Order) -> Option<Channel> {
    order.detail("channel").map(Channel::from_wire)
}

fn text(order: &Order, name: &str) -> Option<String> {
    order.detail(name).map(str::to_owned)
}

/// Result of an order for queries.
fn query_result(order: &Order) -> OrderResult {
    match order.state {
        OrderState::Pending => OrderResult::Notpay,
        OrderState::Paid if order.refunded() > 0 => OrderResult::Refund,
        OrderState::Paid => OrderResult::Success,
        OrderState::Closed | OrderState::Reversed => OrderResult::Closed,
    }
}

/// `operation` member of payment results, e.g. `QUICK-PAY`.
fn operation_label(operation: &str) -> String {
    operation.to_ascii_uppercase().replace('_', "-")
}

/// The `PaymentResult` of an order (quick_pay answers and `notify_url` notifications).
fn payment_result(order: &Order, appid: &str, nonce: &str) -> PaymentResult {
    let paid = order.state == OrderState::Paid;
    let (result, err_code, err_msg) = match order.state {
        OrderState::Paid => (OrderResult::Success, None, None),
        OrderState::Pending => (
            OrderResult::Notsure,
            Some("PAYMENT_IN_PROCESS".to_owned()),
            Some("payment in process".to_owned()),
        ),
        _ => (
            OrderResult::Fail,
            Some("ORDERCLOSED".to_owned()),
            Some("the order was closed".to_owned()),
        ),
    };
    PaymentResult {
        unknown_members: Default::default(),
        appid: Some(appid.to_owned()),
        attach: Some(text(order, "attach").unwrap_or_default()),
        cash_fee: paid.then_some(order.amount),
        cash_fee_type: paid.then(|| FeeType::from_wire(&order.currency)),
        channel: channel_of(order),
        channel_order_no: Some(order.channel_no.clone()),
        device_id: Some(text(order, "device_id").unwrap_or_default()),
        err_code,
        err_msg,
        fee_type: Some(FeeType::from_wire(&order.currency)),
        ksher_order_no: Some(order.gateway_no.clone()),
        mch_order_no: Some(order.merchant_no.clone()),
        nonce_str: Some(nonce.to_owned()),
        openid: Some("mock-openid".into()),
        operation: Some(operation_label(order.operation)),
        operator_id: Some(text(order, "operator_id").unwrap_or_default()),
        rate: Some("1.000000".into()),
        result: Some(result),
        time_end: order.paid_at.map(datetime_text),
        total_fee: Some(order.amount),
        consumer_remark: Some(String::new()),
        merchant_remark: Some(text(order, "attach").unwrap_or_default()),
        raw_total_fee: Some(order.amount),
    }
}

/// The `GatewayResult` of a hosted-checkout order: unpaid orders give empty values and
/// `NOTSURE` (reference 2.7).
fn gateway_result(order: &Order, appid: &str, nonce: &str) -> GatewayResult {
    if order.state == OrderState::Pending {
        return GatewayResult {
            appid: Some(appid.to_owned()),
            attach: Some(String::new()),
            channel_order_no: Some(String::new()),
            ksher_order_no: Some(String::new()),
            mch_order_no: Some(order.merchant_no.clone()),
            nonce_str: Some(nonce.to_owned()),
            openid: Some(String::new()),
            pay_mch_order_no: Some(String::new()),
            rate: Some(String::new()),
            result: Some(OrderResult::Notsure),
            time_end: Some(String::new()),
            ..Default::default()
        };
    }
    GatewayResult {
        unknown_members: Default::default(),
        appid: Some(appid.to_owned()),
        attach: Some(text(order, "attach").unwrap_or_default()),
        cash_fee: Some(order.amount),
        cash_fee_type: Some(FeeType::from_wire(&order.currency)),
        channel: Some(Channel::from_wire(
            order
                .detail("channel_list")
                .and_then(|l| l.split(',').next())
                .unwrap_or("promptpay"),
        )),
        channel_order_no: Some(order.channel_no.clone()),
        fee_type: Some(FeeType::from_wire(&order.currency)),
        ksher_order_no: Some(order.gateway_no.clone()),
        mch_order_no: Some(order.merchant_no.clone()),
        nonce_str: Some(nonce.to_owned()),
        openid: Some("mock-openid".into()),
        // The mock refunds hosted-checkout orders by their own number.
        pay_mch_order_no: Some(order.merchant_no.clone()),
        rate: Some("1.000000".into()),
        result: Some(query_result(order)),
        time_end: order.paid_at.map(datetime_text),
        total_fee: Some(order.amount),
    }
}

fn page_result(ctx: &Ctx, order: &Order, trade_type: &str, app: bool) -> Map<String, Value> {
    let link = ctx.pay_link(&order.merchant_no);
    to_map(&PageResult {
        unknown_members: Default::default(),
        appid: Some(ctx.appid.clone()),
        channel: channel_of(order),
        fee_type: Some(FeeType::from_wire(&order.currency)),
        ksher_order_no: Some(order.gateway_no.clone()),
        mch_order_no: Some(order.merchant_no.clone()),
        nonce_str: Some(ctx.nonce.clone()),
        pay_content: app.then(|| link.clone()),
        pay_url: Some(link),
        result: Some(OrderResult::Success),
        total_fee: Some(order.amount),
        trade_type: Some(trade_type.to_owned()),
    })
}

/// An order named by up to three numbers.
fn order_ref<'a>(
    mch: &'a Option<String>,
    ksher: &'a Option<String>,
    channel: &'a Option<String>,
) -> OrderRef<'a> {
    OrderRef {
        merchant_no: mch.as_deref(),
        gateway_no: ksher.as_deref(),
        channel_no: channel.as_deref(),
    }
}

fn simple(ctx: &Ctx, order: &Order, operation: &str) -> Map<String, Value> {
    to_map(&SimpleResult {
        unknown_members: Default::default(),
        appid: Some(ctx.appid.clone()),
        ksher_order_no: Some(order.gateway_no.clone()),
        mch_order_no: Some(order.merchant_no.clone()),
        nonce_str: Some(ctx.nonce.clone()),
        operation: Some(operation.to_owned()),
        result: Some(OrderResult::Success),
        err_code: None,
        err_msg: None,
    })
}

/// Applies a state change and answers with a `SimpleResult`.
fn change(
    gateway: &Arc<Gateway>,
    ctx: &Ctx,
    r: OrderRef<'_>,
    action: Action,
    operation: &str,
) -> Map<String, Value> {
    let applied = gateway.store().apply(r, action, ctx.now);
    match applied {
        Ok((order, _)) => simple(ctx, &order, operation),
        Err(e) => store_fail(ctx, r.merchant_no, &e),
    }
}

/// Illustrative exchange rates (THB per unit); not real data.
const RATES: &[(&str, &str)] = &[
    ("THB", "1.000000"),
    ("CNY", "4.950000"),
    ("MYR", "7.650000"),
    ("JPY", "0.240000"),
    ("AED", "9.750000"),
];

/// The business logic of each operation; answers are `data` maps (failures included).
fn operate(gateway: &Arc<Gateway>, ctx: &Ctx, request: &AnyRequest) -> Map<String, Value> {
    match request {
        AnyRequest::QuickPay(r) => {
            let new = NewOrder {
                mch_order_no: &r.mch_order_no,
                amount: r.total_fee,
                fee_type: &r.fee_type,
                channel: r.channel.as_ref(),
                notify_url: r.notify_url.as_deref(),
                details: vec![
                    ("attach", r.attach.as_deref()),
                    ("device_id", r.device_id.as_deref()),
                    ("operator_id", r.operator_id.as_deref()),
                ],
            };
            let (mut order, is_new) =
                match create(gateway, ctx, quick_pay::QuickPayRequest::NAME, new) {
                    Ok(created) => created,
                    Err(data) => return data,
                };
            // B-scan-C: the payer already confirmed, unless the code asks for NOTSURE.
            if is_new && !r.auth_code.starts_with("NOTSURE") {
                if let Ok(view) = gateway.pay(&order.merchant_no) {
                    order.state = view.state;
                    order.paid_at = Some(ctx.now);
                }
            }
            to_map(&payment_result(&order, &ctx.appid, &ctx.nonce))
        }
        AnyRequest::NativePay(r) => {
            let new = NewOrder {
                mch_order_no: &r.mch_order_no,
                amount: r.total_fee,
                fee_type: &r.fee_type,
                channel: Some(&r.channel),
                notify_url: r.notify_url.as_deref(),
                details: vec![
                    ("attach", r.attach.as_deref()),
                    ("device_id", r.device_id.as_deref()),
                ],
            };
            let order = match create(gateway, ctx, native_pay::NativePayRequest::NAME, new) {
                Ok((order, _)) => order,
                Err(data) => return data,
            };
            let link = ctx.pay_link(&order.merchant_no);
            to_map(&NativePayData {
                unknown_members: Default::default(),
                payment_code: Some(link.clone()),
                payment_id: Some(order.channel_no.clone()),
                appid: Some(ctx.appid.clone()),
                code_url: Some(link),
                device_id: Some(r.device_id.clone().unwrap_or_default()),
                fee_type: Some(r.fee_type.clone()),
                imgdat: None,
                ksher_order_no: Some(order.gateway_no.clone()),
                mch_order_no: Some(order.merchant_no.clone()),
                nonce_str: Some(ctx.nonce.clone()),
                result: Some(OrderResult::Success),
                stalls_name: Some("payspec mock".into()),
                total_fee: Some(order.amount),
                trade_type: Some("NATIVE".into()),
            })
        }
        AnyRequest::JsapiPay(r) => {
            let new = NewOrder {
                mch_order_no: &r.mch_order_no,
                amount: r.total_fee,
                fee_type: &r.fee_type,
                channel: Some(&r.channel),
                notify_url: r.notify_url.as_deref(),
                details: vec![("attach", r.attach.as_deref())],
            };
            match create(gateway, ctx, jsapi_pay::JsapiPayRequest::NAME, new) {
                Ok((order, _)) => page_result(ctx, &order, "JSAPI", false),
                Err(data) => data,
            }
        }
        AnyRequest::MiniProgramPay(r) => {
            let new = NewOrder {
                mch_order_no: &r.mch_order_no,
                amount: r.total_fee.or(r.local_total_fee).unwrap_or(0),
                fee_type: &r.fee_type,
                channel: Some(&r.channel),
                notify_url: r.notify_url.as_deref(),
                details: vec![("attach", r.attach.as_deref())],
            };
            let order = match create(
                gateway,
                ctx,
                mini_program_pay::MiniProgramPayRequest::NAME,
                new,
            ) {
                Ok((order, _)) => order,
                Err(data) => return data,
            };
            to_map(&MiniProgramPayData {
                unknown_members: Default::default(),
                appid: Some(ctx.appid.clone()),
                ksher_order_no: Some(order.gateway_no.clone()),
                mch_order_no: Some(order.merchant_no.clone()),
                nonce_str: Some(ctx.nonce.clone()),
                result: Some(OrderResult::Success),
                trade_type: Some("MINIPRO".into()),
                wc_pay_data: Some(serde_json::json!({
                    "appId": r.channel_sub_appid,
                    "timeStamp": ctx.now.unix_timestamp().to_string(),
                    "nonceStr": ctx.nonce,
                    "package": format!("prepay_id=mock{}", order.gateway_no),
                    "signType": "RSA",
                    "paySign": "mock",
                })),
            })
        }
        AnyRequest::AppPay(r) => {
            let new = NewOrder {
                mch_order_no: &r.mch_order_no,
                amount: r.total_fee.or(r.local_total_fee).unwrap_or(0),
                fee_type: &r.fee_type,
                channel: Some(&r.channel),
                notify_url: r.notify_url.as_deref(),
                details: vec![("attach", r.attach.as_deref())],
            };
            match create(gateway, ctx, app_pay::AppPayRequest::NAME, new) {
                Ok((order, _)) => page_result(ctx, &order, "APP", true),
                Err(data) => data,
            }
        }
        AnyRequest::WapPay(r) => {
            let new = NewOrder {
                mch_order_no: &r.mch_order_no,
                amount: r.total_fee.or(r.local_total_fee).unwrap_or(0),
                fee_type: &r.fee_type,
                channel: Some(&r.channel),
                notify_url: r.notify_url.as_deref(),
                details: vec![
                    ("attach", r.attach.as_deref()),
                    ("device_id", r.device_id.as_deref()),
                ],
            };
            match create(gateway, ctx, wap_pay::WapPayRequest::NAME, new) {
                Ok((order, _)) => page_result(ctx, &order, "WAP", false),
                Err(data) => data,
            }
        }
        AnyRequest::WebPay(r) => {
            let new = NewOrder {
                mch_order_no: &r.mch_order_no,
                amount: r.total_fee.or(r.local_total_fee).unwrap_or(0),
                fee_type: &r.fee_type,
                channel: Some(&r.channel),
                notify_url: r.notify_url.as_deref(),
                details: vec![
                    ("attach", r.attach.as_deref()),
                    ("device_id", r.device_id.as_deref()),
                ],
            };
            match create(gateway, ctx, web_pay::WebPayRequest::NAME, new) {
                Ok((order, _)) => page_result(ctx, &order, "WEB", false),
                Err(data) => data,
            }
        }
        AnyRequest::OrderQuery(r) => {
            let found = gateway
                .store()
                .get(order_ref(
                    &r.mch_order_no,
                    &r.ksher_order_no,
                    &r.channel_order_no,
                ))
                .cloned();
            let Some(order) = found else {
                return store_fail(ctx, r.mch_order_no.as_deref(), &StoreError::NotFound);
            };
            let paid = order.paid_at.is_some();
            to_map(&OrderQueryData {
                appid: Some(ctx.appid.clone()),
                attach: Some(text(&order, "attach").unwrap_or_default()),
                cash_fee: paid.then_some(order.amount),
                cash_fee_type: paid.then(|| FeeType::from_wire(&order.currency)),
                channel: channel_of(&order),
                channel_order_no: Some(order.channel_no.clone()),
                device_id: Some(text(&order, "device_id").unwrap_or_default()),
                fee_type: Some(FeeType::from_wire(&order.currency)),
                ksher_order_no: Some(order.gateway_no.clone()),
                mch_order_no: Some(order.merchant_no.clone()),
                nonce_str: Some(ctx.nonce.clone()),
                openid: Some("mock-openid".into()),
                operation: Some("ORDER-QUERY".into()),
                operator_id: Some(text(&order, "operator_id").unwrap_or_default()),
                rate: Some("1.000000".into()),
                raw_total_fee: Some(order.amount),
                result: Some(query_result(&order)),
                time_end: order.paid_at.map(datetime_text),
                total_fee: Some(order.amount),
                ..Default::default()
            })
        }
        AnyRequest::OrderClose(r) => change(
            gateway,
            ctx,
            order_ref(&r.mch_order_no, &r.ksher_order_no, &r.channel_order_no),
            Action::Close,
            "ORDER-CLOSE",
        ),
        AnyRequest::OrderReverse(r) => change(
            gateway,
            ctx,
            order_ref(&r.mch_order_no, &r.ksher_order_no, &r.channel_order_no),
            Action::Reverse,
            "ORDER-REVERSE",
        ),
        AnyRequest::OrderRefund(r) => refund(gateway, ctx, r),
        AnyRequest::RefundQuery(r) => refund_query(gateway, ctx, r),
        AnyRequest::RateQuery(r) => to_map(&RateQueryData {
            unknown_members: Default::default(),
            appid: Some(ctx.appid.clone()),
            channel: Some(r.channel.clone()),
            date: Some(r.date.clone()),
            fee_type: Some(r.fee_type.clone()),
            nonce_str: Some(ctx.nonce.clone()),
            rate: Some(
                RATES
                    .iter()
                    .find(|(c, _)| *c == r.fee_type.as_str())
                    .map_or("1.000000", |(_, rate)| rate)
                    .to_owned(),
            ),
            result: Some(OrderResult::Success),
        }),
        AnyRequest::MerchantInfo(_) => to_map(&MerchantInfoData {
            account_type: Some("Test".into()),
            allow_partial_refund: Some("Y".into()),
            allow_remote_pay: Some("Y".into()),
            business_mode: Some("online".into()),
            is_master_mch: Some("N".into()),
            mch_appid: Some(ctx.appid.clone()),
            mch_id: Some(ctx.appid.trim_start_matches("mch").to_owned()),
            mch_name: Some(serde_json::json!({
                "mch_brief_name": "payspec mock",
                "merchant_name": "payspec mock merchant",
            })),
            mch_support_channel: Some(
                Channel::VALUES
                    .iter()
                    .map(|c| SupportChannel {
                        unknown_members: Default::default(),
                        day_sum_limit: Some((-1).into()),
                        pay_channel: Some(Channel::from_wire(c)),
                        settlement_time_type: Some("T+1".into()),
                        single_order_limit: Some((-1).into()),
                    })
                    .collect(),
            ),
            merchant_type: Some("mock".into()),
            mobile: Some("0800000000".into()),
            nonce_str: Some(ctx.nonce.clone()),
            operator_list: Some(vec![Operator {
                unknown_members: Default::default(),
                add_time: Some(datetime_text(ctx.now)),
                mch_id: Some(ctx.appid.trim_start_matches("mch").to_owned()),
                operator: Some("boss".into()),
                operator_id: Some("0".into()),
                rule_id: Some("0".into()),
                state: Some("1".into()),
            }]),
            settlement_fee_type: Some("THB".into()),
            time_zone: Some("+07:00".into()),
            ..Default::default()
        }),
        AnyRequest::GetSettlementInfo(r) => {
            let settled = match gateway.store().settled() {
                Ok(settled) => settled,
                Err(e) => return store_fail(ctx, None, &e),
            };
            to_map(&GetSettlementInfoData {
                unknown_members: Default::default(),
                begin_date: Some(r.begin_date.clone()),
                end_date: Some(r.end_date.clone()),
                nonce_str: Some(ctx.nonce.clone()),
                settlement_data: Some(
                    settled
                        .into_iter()
                        .map(|(_currency, amount)| Settlement {
                            unknown_members: Default::default(),
                            begin_date: Some(r.begin_date.clone()),
                            commission_fee: Some(0),
                            end_date: Some(r.end_date.clone()),
                            pay_channel: Some(
                                r.pay_channel
                                    .as_ref()
                                    .map_or_else(|| "all".to_owned(), |c| c.as_str().to_owned()),
                            ),
                            settlement_amount: Some(i64::try_from(amount).unwrap_or(i64::MAX)),
                            settlement_date: Some(r.end_date.clone()),
                            transfer_amount: Some(i64::try_from(amount).unwrap_or(i64::MAX)),
                            transfer_date: Some(r.end_date.clone()),
                            vat: Some(0),
                        })
                        .collect(),
                ),
            })
        }
        AnyRequest::GetPayoutBalance(_) => {
            let balance = gateway.store().payout_balance();
            to_map(&GetPayoutBalanceData {
                unknown_members: Default::default(),
                appid: Some(ctx.appid.clone()),
                balance: Some(balance),
                nonce_str: Some(ctx.nonce.clone()),
                result: Some(OrderResult::Success),
            })
        }
        AnyRequest::Payout(r) => {
            let made = {
                let mut store = gateway.store();
                let seq = store.next_seq();
                let mut details = Map::new();
                if let Some(attach) = &r.attach {
                    details.insert("attach".into(), attach.clone().into());
                }
                store.payout(Payout {
                    merchant_no: r.mch_order_no.clone(),
                    gateway_no: format!("7{}{seq:06}", compact(ctx.now)),
                    amount: r.total_fee,
                    currency: r.fee_type.as_str().to_owned(),
                    time: ctx.now,
                    fingerprint: ctx.fingerprint.clone(),
                    details,
                })
            };
            match made {
                Ok((p, _)) => to_map(&PayoutData {
                    unknown_members: Default::default(),
                    appid: Some(ctx.appid.clone()),
                    channel_order_no: Some(format!("P{}", p.gateway_no)),
                    ksher_order_no: Some(p.gateway_no.clone()),
                    mch_order_no: Some(p.merchant_no.clone()),
                    mdr: Some(0.into()),
                    nonce_str: Some(ctx.nonce.clone()),
                    receiver_name: Some("MOCK RECEIVER".into()),
                    result: Some(OrderResult::Success),
                    total_fee: Some(p.amount),
                    trade_type: Some("PAYOUT".into()),
                }),
                Err(e) => store_fail(ctx, Some(&r.mch_order_no), &e),
            }
        }
        AnyRequest::OrderQueryPayout(r) => {
            let found = gateway.store().payout_by_no(&r.mch_order_no).cloned();
            match found {
                Some(p) => to_map(&OrderQueryPayoutData {
                    appid: Some(ctx.appid.clone()),
                    attach: Some(
                        p.details
                            .get("attach")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned(),
                    ),
                    cash_fee: Some(p.amount),
                    cash_fee_type: Some(FeeType::from_wire(&p.currency)),
                    channel: Some(Channel::Payout),
                    channel_order_no: Some(format!("P{}", p.gateway_no)),
                    fee_type: Some(FeeType::from_wire(&p.currency)),
                    ksher_order_no: Some(p.gateway_no.clone()),
                    mch_order_no: Some(p.merchant_no.clone()),
                    mdr: Some(0.into()),
                    nonce_str: Some(ctx.nonce.clone()),
                    operation: Some("ORDER-QUERY".into()),
                    rate: Some("1.000000".into()),
                    raw_total_fee: Some(p.amount),
                    result: Some(OrderResult::Success),
                    time_end: Some(datetime_text(p.time)),
                    total_fee: Some(p.amount),
                    ..Default::default()
                }),
                None => store_fail(ctx, Some(&r.mch_order_no), &StoreError::NotFound),
            }
        }
        AnyRequest::GatewayPay(r) => {
            let new = NewOrder {
                mch_order_no: &r.mch_order_no,
                amount: r.total_fee,
                fee_type: &r.fee_type,
                channel: None,
                notify_url: r.mch_notify_url.as_deref(),
                details: vec![
                    ("attach", r.attach.as_deref()),
                    ("channel_list", Some(r.channel_list.as_str())),
                ],
            };
            match create(gateway, ctx, gateway_pay::GatewayPayRequest::NAME, new) {
                Ok((order, _)) => to_map(&GatewayPayData {
                    unknown_members: Default::default(),
                    pay_content: Some(ctx.pay_link(&order.merchant_no)),
                }),
                Err(data) => data,
            }
        }
        AnyRequest::GatewayOrderQuery(r) => {
            let found = gateway
                .store()
                .get(OrderRef {
                    merchant_no: Some(&r.mch_order_no),
                    ..Default::default()
                })
                .cloned();
            match found {
                Some(order) => to_map(&gateway_result(&order, &ctx.appid, &ctx.nonce)),
                None => store_fail(ctx, Some(&r.mch_order_no), &StoreError::NotFound),
            }
        }
        AnyRequest::CancelOrder(r) => change(
            gateway,
            ctx,
            OrderRef {
                merchant_no: Some(&r.mch_order_no),
                ..Default::default()
            },
            Action::Close,
            "CANCEL-ORDER",
        ),
    }
}

fn refund(
    gateway: &Arc<Gateway>,
    ctx: &Ctx,
    r: &order_refund::OrderRefundRequest,
) -> Map<String, Value> {
    let target = order_ref(&r.mch_order_no, &r.ksher_order_no, &r.channel_order_no);
    // One lock for the checks and the refund: concurrent refunds are serialized here.
    let outcome = {
        let mut store = gateway.store();
        let Some(order) = store.get(target) else {
            return store_fail(ctx, r.mch_order_no.as_deref(), &StoreError::NotFound);
        };
        if order.currency != r.fee_type.as_str() {
            return fail(
                ctx,
                Some(&order.merchant_no),
                "FEE_TYPE_MISMATCH",
                format!(
                    "fee_type {} is not the order's {}",
                    r.fee_type, order.currency
                ),
            );
        }
        if order.amount != r.total_fee {
            return fail(
                ctx,
                Some(&order.merchant_no),
                "TOTAL_FEE_MISMATCH",
                format!(
                    "total_fee {} is not the order amount {}",
                    r.total_fee, order.amount
                ),
            );
        }
        let seq = store.next_seq();
        store.refund(
            target,
            Refund {
                merchant_no: r.mch_refund_no.clone(),
                gateway_no: format!("8{}{seq:06}", compact(ctx.now)),
                channel_no: format!("5000{seq:012}"),
                amount: r.refund_fee,
                time: ctx.now,
                fingerprint: ctx.fingerprint.clone(),
            },
        )
    };
    match outcome {
        Ok(done) => to_map(&OrderRefundData {
            unknown_members: Default::default(),
            appid: Some(ctx.appid.clone()),
            attach: Some(r.attach.clone().unwrap_or_default()),
            cash_refund_fee: Some(done.refund.amount),
            channel: channel_of(&done.order),
            channel_order_no: Some(done.order.channel_no.clone()),
            channel_refund_no: Some(done.refund.channel_no.clone()),
            device_id: Some(r.device_id.clone().unwrap_or_default()),
            err_code: None,
            err_msg: None,
            fee_type: Some(r.fee_type.clone()),
            ksher_order_no: Some(done.order.gateway_no.clone()),
            ksher_refund_no: Some(done.refund.gateway_no.clone()),
            mch_order_no: Some(done.order.merchant_no.clone()),
            mch_refund_no: Some(done.refund.merchant_no.clone()),
            nonce_str: Some(ctx.nonce.clone()),
            operator_id: Some(r.operator_id.clone().unwrap_or_default()),
            refund_fee: Some(done.refund.amount),
            refund_time: Some(datetime_text(done.refund.time)),
            result: Some(OrderResult::Success),
            total_fee: Some(done.order.amount),
        }),
        Err(e) => store_fail(ctx, r.mch_order_no.as_deref(), &e),
    }
}

fn refund_query(
    gateway: &Arc<Gateway>,
    ctx: &Ctx,
    r: &refund_query::RefundQueryRequest,
) -> Map<String, Value> {
    let found = gateway
        .store()
        .get(order_ref(
            &r.mch_order_no,
            &r.ksher_order_no,
            &r.channel_order_no,
        ))
        .cloned();
    let Some(order) = found else {
        return store_fail(ctx, r.mch_order_no.as_deref(), &StoreError::NotFound);
    };
    let refunds: Vec<&Refund> = order
        .refunds
        .iter()
        .filter(|x| {
            r.mch_refund_no
                .as_ref()
                .is_none_or(|no| *no == x.merchant_no)
        })
        .filter(|x| {
            r.ksher_refund_no
                .as_ref()
                .is_none_or(|no| *no == x.gateway_no)
        })
        .filter(|x| {
            r.channel_refund_no
                .as_ref()
                .is_none_or(|no| *no == x.channel_no)
        })
        .collect();
    let filtered =
        r.mch_refund_no.is_some() || r.ksher_refund_no.is_some() || r.channel_refund_no.is_some();
    if refunds.is_empty() && filtered {
        return fail(
            ctx,
            Some(&order.merchant_no),
            "REFUNDNOTEXIST",
            "no such refund of this order",
        );
    }
    to_map(&RefundQueryData {
        unknown_members: Default::default(),
        appid: Some(ctx.appid.clone()),
        cash_fee: order.paid_at.map(|_| order.amount),
        cash_fee_type: Some(FeeType::from_wire(&order.currency)),
        channel_order_no: Some(order.channel_no.clone()),
        fee_type: Some(FeeType::from_wire(&order.currency)),
        ksher_order_no: Some(order.gateway_no.clone()),
        mch_order_no: Some(order.merchant_no.clone()),
        nonce_str: Some(ctx.nonce.clone()),
        refund_count: Some(i64::try_from(refunds.len()).unwrap_or(i64::MAX)),
        refund_fee: Some(refunds.iter().map(|x| x.amount).sum()),
        refund_orders: Some(
            refunds
                .iter()
                .map(|x| RefundOrder {
                    unknown_members: Default::default(),
                    channel_refund_no: Some(x.channel_no.clone()),
                    ksher_refund_no: Some(x.gateway_no.clone()),
                    mch_refund_fee: Some(x.amount),
                    mch_refund_no: Some(x.merchant_no.clone()),
                    refund_state: Some(RefundState::Refundsuccess),
                    refund_time: Some(datetime_text(x.time)),
                })
                .collect(),
        ),
        result: Some(OrderResult::Success),
        time_end: order.paid_at.map(datetime_text),
        total_fee: Some(order.amount),
    })
}

/// `true` if a notification reply is the spec's success reply (its `result` member).
fn reply_accepted(body: &[u8]) -> bool {
    let expected = serde_json::from_str::<Value>(payspec_ksher::NOTIFY_URL_REPLY)
        .ok()
        .and_then(|v| v.get("result").cloned());
    let got = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("result").cloned());
    expected.is_some() && got == expected
}

/// The payment notification of a paid order: `notify_url` (classic envelope, `PaymentResult`)
/// or, for `gateway_pay`, `mch_notify_url` (gateway envelope, `GatewayResult`).
fn notification(gateway: &Arc<Gateway>, order: &Order) -> Option<Delivery> {
    let url = order.notify_url.clone()?;
    let nonce = payspec_runtime::RandomNonce.nonce();
    let now = gateway.now();
    let (kind, host, data) = if order.operation == gateway_pay::GatewayPayRequest::NAME {
        (
            "mch_notify_url",
            Host::Gateway,
            to_map(&gateway_result(order, &order.client_id, &nonce)),
        )
    } else {
        (
            "notify_url",
            Host::Main,
            to_map(&payment_result(order, &order.client_id, &nonce)),
        )
    };
    let body = match signed_document(gateway, host, kind, &data, now) {
        Ok(body) => body,
        Err(e) => {
            gateway.log(&format!("cannot sign the {kind} notification: {e}"));
            return None;
        }
    };
    Some(Delivery {
        kind,
        order: order.merchant_no.clone(),
        url,
        build: Box::new(move || {
            Ok(Message {
                headers: vec![("Content-Type".into(), "text/plain;charset=utf-8".into())],
                body: body.clone().into_bytes(),
            })
        }),
        accepted: reply_accepted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The mock serves every operation of the generated table, each at its own path.
    #[test]
    fn the_mock_serves_every_operation_of_the_spec() {
        let table = payspec_ksher::Api::OPERATIONS;
        let mut paths: Vec<&str> = table.iter().map(|e| e.path).collect();
        paths.sort_unstable();
        paths.dedup();
        assert_eq!(paths.len(), table.len(), "two operations share a path");
        for e in table {
            if let Err(ValidationError::Invalid { reason, .. }) =
                AnyRequest::from_params(e.name, [])
            {
                assert_ne!(reason, "unknown operation", "{}", e.name);
            }
        }
        assert!(AnyRequest::from_params("no_such_operation", []).is_err());
    }

    /// A received request with a parameter twice is refused before its signature is checked,
    /// whatever the signature (no signature wrapping through duplicates).
    #[test]
    fn duplicate_parameters_in_a_received_request_are_refused() {
        let key = PublicKey::from_pem(include_str!(
            "../../conformance/vectors/keys/ksher-merchant-1024.pub.pem"
        ))
        .expect("key");
        for body in [
            &b"appid=mch1&mch_order_no=A&mch_order_no=B&nonce_str=n&time_stamp=t&sign=00"[..],
            b"appid=mch1&appid=mch2&mch_order_no=A&sign=00",
            b"sign=00&mch_order_no=A&sign=11",
        ] {
            match read_form_request("order_query", body, &key) {
                Err((code, message)) => {
                    assert_eq!(code, CODE_PARAMS);
                    assert!(message.contains("occurs twice"), "{message}");
                }
                Ok(_) => panic!("accepted {}", String::from_utf8_lossy(body)),
            }
        }
    }

    #[test]
    fn reply_check_follows_the_spec_reply() {
        assert!(reply_accepted(payspec_ksher::NOTIFY_URL_REPLY.as_bytes()));
        assert!(reply_accepted(br#"{"msg":"OK","result":"SUCCESS"}"#));
        assert!(!reply_accepted(br#"{"result":"FAIL"}"#));
        assert!(!reply_accepted(b"SUCCESS"));
    }
}
