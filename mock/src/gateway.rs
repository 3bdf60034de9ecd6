//! The gateway's shared state and the routes common to both APIs (admin endpoints).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use payspec_runtime::{PrivateKey, PublicKey};
use time::OffsetDateTime;

use crate::faults::{Injector, RequestPlan};
use crate::http::{Incoming, Outgoing};
use crate::notify::{Delivery, Notifier};
use crate::store::{Action, Order, OrderRef, OrderView, Store, StoreError};
use crate::{Api, Config};

/// What one API contributes to the mock: serving its operations and building its payment
/// notification. One implementation per API (`ksher::KsherApi`, `alipayplus::AlipayPlusApi`),
/// chosen once when the mock starts.
pub(crate) trait ApiHandler: Send + Sync {
    /// Answers a request to one of the API's paths (admin paths never reach it).
    fn handle(&self, gateway: &Arc<Gateway>, request: &Incoming) -> Outgoing;
    /// The payment notification of a paid order, if it can be built.
    fn notification(&self, gateway: &Arc<Gateway>, order: &Order) -> Option<Delivery>;
    /// The operation at `path` and whether it creates something (fault injection).
    fn operation(&self, path: &str) -> Option<(&'static str, bool)>;
    /// The API's answer with an unknown outcome to `request` (already processed).
    fn unknown(&self, gateway: &Arc<Gateway>, request: &Incoming) -> Outgoing;
}

/// Prefix of the admin endpoints.
pub(crate) const ADMIN_PREFIX: &str = "/_mock/";

/// Characters escaped in an order number put into a URL path: all but RFC 3986 unreserved.
const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The admin URL that pays an order: the mock's "cashier page" / QR code content.
pub(crate) fn pay_link(base_url: &str, merchant_no: &str) -> String {
    format!("{base_url}{ADMIN_PREFIX}pay/{}", path_segment(merchant_no))
}

/// `text` as one URL path segment: everything but unreserved characters percent-encoded.
pub(crate) fn path_segment(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, PATH_SEGMENT).to_string()
}

pub(crate) struct Gateway {
    pub api: Api,
    handler: &'static dyn ApiHandler,
    pub base_url: String,
    pub merchant_key: PublicKey,
    pub gateway_key: PrivateKey,
    pub client_id: Option<String>,
    pub auto_pay_after: Option<Duration>,
    store: Mutex<Store>,
    pub notifier: Arc<Notifier>,
    pub shutdown: Arc<AtomicBool>,
    /// Seconds the business clock is ahead of the real one (`POST /_mock/advance/<seconds>`).
    clock_offset: AtomicI64,
    /// Injected faults (`--faults`).
    injector: Injector,
    log: bool,
}

impl Gateway {
    pub fn new(config: Config, addr: SocketAddr, handler: &'static dyn ApiHandler) -> Arc<Self> {
        let shutdown = Arc::new(AtomicBool::new(false));
        Arc::new(Gateway {
            api: config.api,
            handler,
            base_url: format!("http://{addr}"),
            merchant_key: config.merchant_public_key,
            gateway_key: config.gateway_key,
            client_id: config.client_id,
            auto_pay_after: config.auto_pay_after,
            store: Mutex::new(Store::new(config.payout_balance)),
            notifier: Arc::new(Notifier::new(
                config.notify_retry_delays,
                Arc::clone(&shutdown),
                config.log,
            )),
            shutdown,
            clock_offset: AtomicI64::new(0),
            injector: Injector::new(config.faults, config.fault_seed),
            log: config.log,
        })
    }

    pub fn log(&self, line: &str) {
        if self.log {
            eprintln!("[payspec-mock] {line}");
        }
    }

    /// The store, locked. Every change to orders happens under this one lock.
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn begin_shutdown(&self) {
        self.shutdown.store(true, Ordering::SeqCst);
    }

    /// The business clock: what orders, windows and answers see. It runs with the real clock,
    /// ahead of it by what [`Gateway::advance`] added, so tests can reach windows and expiries.
    pub fn now(&self) -> OffsetDateTime {
        let offset = time::Duration::seconds(self.clock_offset.load(Ordering::SeqCst));
        OffsetDateTime::now_utc()
            .checked_add(offset)
            .unwrap_or_else(OffsetDateTime::now_utc)
    }

    /// The real clock: request freshness is judged by it, since clients sign with real time.
    pub fn real_now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    /// Sets the business clock `seconds` away from the real one (the probe's stale and future
    /// notifications).
    pub(crate) fn shift_clock(&self, seconds: i64) {
        self.clock_offset.store(seconds, Ordering::SeqCst);
    }

    /// Moves the business clock forward by `seconds` (at most ten years in all); the new time.
    pub fn advance(&self, seconds: u32) -> OffsetDateTime {
        const MAX: i64 = 10 * 366 * 24 * 3600;
        let _ = self
            .clock_offset
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |o| {
                Some(o.saturating_add(i64::from(seconds)).min(MAX))
            });
        self.now()
    }

    pub fn handle(self: &Arc<Self>, request: &Incoming) -> Outgoing {
        if let Some(rest) = request.path.strip_prefix(ADMIN_PREFIX) {
            return self.admin(request, rest);
        }
        self.handler.handle(self, request)
    }

    pub fn order_view(&self, order: &str) -> Option<OrderView> {
        self.store().get(OrderRef::any(order)).map(Order::view)
    }

    /// Marks an order paid; sends its notification when it changed.
    pub fn pay(self: &Arc<Self>, order: &str) -> Result<OrderView, StoreError> {
        let now = self.now();
        let (order, changed) = self.store().apply(OrderRef::any(order), Action::Pay, now)?;
        if changed {
            self.log(&format!("order {} paid", order.merchant_no));
            self.notify_paid(&order);
        }
        Ok(order.view())
    }

    /// A new order was created: schedule its automatic payment, if configured.
    /// The payer declines a pending order: it is closed. Alipay+ and Antom notify the failure
    /// (their notifyPayment carries S or F); Ksher notifies successful payments only.
    pub fn decline(self: &Arc<Self>, order: &str) -> Result<OrderView, StoreError> {
        let now = self.now();
        let (order, changed) = self
            .store()
            .apply(OrderRef::any(order), Action::Close, now)?;
        if changed {
            self.log(&format!("order {} declined", order.merchant_no));
            if self.api != crate::Api::Ksher {
                self.notify_paid(&order);
            }
        }
        Ok(order.view())
    }

    /// Sends the payment notification of a paid order again.
    pub fn resend(self: &Arc<Self>, order: &str) -> Result<OrderView, StoreError> {
        let order = self
            .store()
            .get(OrderRef::any(order))
            .cloned()
            .ok_or(StoreError::NotFound)?;
        if order.state != crate::store::OrderState::Paid {
            return Err(StoreError::InvalidState {
                state: order.state,
                action: Action::Pay,
            });
        }
        self.notify_paid(&order);
        Ok(order.view())
    }

    fn cashier_page(&self, order: &str, note: Option<&str>) -> Outgoing {
        match self.order_view(order) {
            Some(view) => {
                let url = pay_link(&self.base_url, &view.merchant_no);
                html(
                    200,
                    crate::pages::cashier(self.api.name(), &view, &url, note),
                )
            }
            None => html(404, crate::pages::cashier_missing(order)),
        }
    }

    fn dashboard(&self) -> Outgoing {
        let orders: Vec<OrderView> = self.store().orders().into_iter().map(Order::view).collect();
        let faults: Vec<String> = self
            .injector
            .rules()
            .iter()
            .map(ToString::to_string)
            .collect();
        html(
            200,
            crate::pages::dashboard(
                self.api.name(),
                &orders,
                &self.notifier.records(),
                &faults,
                &self.injector.log(),
            ),
        )
    }

    pub fn created(self: &Arc<Self>, order: &Order) {
        let Some(delay) = self.auto_pay_after else {
            return;
        };
        let gateway = Arc::clone(self);
        let key = order.merchant_no.clone();
        let _ = std::thread::Builder::new()
            .name("payspec-mock-autopay".into())
            .spawn(move || {
                std::thread::sleep(delay);
                if !gateway.shutdown.load(Ordering::SeqCst) {
                    // Closed meanwhile: nothing to pay.
                    let _ = gateway.pay(&key);
                }
            });
    }

    /// Starts delivering a notification, with the injected notification faults.
    pub fn dispatch(&self, delivery: Delivery) {
        let plan = self
            .injector
            .plan_notification(delivery.kind, &delivery.order);
        self.notifier.dispatch_planned(delivery, plan);
    }

    /// The request faults for `request` (admin paths have none).
    pub fn fault_plan(&self, request: &Incoming) -> RequestPlan {
        if self.injector.is_empty() || request.path.starts_with(ADMIN_PREFIX) {
            return RequestPlan::default();
        }
        let Some((operation, creates)) = self.handler.operation(&request.path) else {
            return RequestPlan::default();
        };
        let line = format!("{} {}", request.method, request.path);
        let plan = self.injector.plan_request(operation, creates, &line);
        if plan != RequestPlan::default() {
            self.log(&format!("{line}: injected {plan:?}"));
        }
        plan
    }

    /// The answer to a creating request whose outcome is injected as unknown.
    pub fn unknown_answer(self: &Arc<Self>, request: &Incoming) -> Outgoing {
        self.handler.unknown(self, request)
    }

    /// Every fault injected so far.
    pub fn injected(&self) -> Vec<String> {
        self.injector.log()
    }

    /// Sends the payment notification of a paid order, if it has a notify URL.
    pub fn notify_paid(self: &Arc<Self>, order: &Order) {
        if order.notify_url.is_none() {
            return;
        }
        if let Some(delivery) = self.handler.notification(self, order) {
            self.dispatch(delivery);
        }
    }

    fn admin(self: &Arc<Self>, request: &Incoming, rest: &str) -> Outgoing {
        let (route, arg) = rest.split_once('/').unwrap_or((rest, ""));
        let arg = percent_encoding::percent_decode_str(arg).decode_utf8_lossy();
        let form = request
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
        match (request.method.as_str(), route) {
            ("GET", "") => self.dashboard(),
            ("GET", "pay") if !arg.is_empty() => self.cashier_page(&arg, None),
            // The cashier page's buttons.
            ("POST", "page") if !arg.is_empty() => {
                let action = form_urlencoded::parse(&request.body)
                    .find(|(k, _)| k == "action")
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default();
                let note = match action.as_str() {
                    "pay" => self
                        .pay(&arg)
                        .map(|_| "Paid: the notification is on its way."),
                    "decline" => self.decline(&arg).map(|_| "Declined: the order is closed."),
                    "leave" => Ok("Left unpaid: the outcome stays unknown until you query or pay."),
                    _ => return error_json(400, "action must be pay, decline or leave"),
                };
                match note {
                    Ok(note) => self.cashier_page(&arg, Some(note)),
                    Err(e) => self.cashier_page(&arg, Some(&e.to_string())),
                }
            }
            ("POST", "resend") if !arg.is_empty() => match self.resend(&arg) {
                Ok(_) if form => self.dashboard(),
                Ok(view) => view_json(200, &view),
                Err(e @ StoreError::NotFound) => error_json(404, &e.to_string()),
                Err(e) => error_json(409, &e.to_string()),
            },
            ("POST", "pay") if !arg.is_empty() => match self.pay(&arg) {
                Ok(view) => view_json(200, &view),
                Err(e @ StoreError::NotFound) => error_json(404, &e.to_string()),
                Err(e) => error_json(409, &e.to_string()),
            },
            ("GET", "orders") if !arg.is_empty() => match self.order_view(&arg) {
                Some(view) => view_json(200, &view),
                None => error_json(404, "no such order"),
            },
            ("POST", "advance") => match arg.parse::<u32>() {
                Ok(seconds) => {
                    let now = crate::header_rsa::iso(self.advance(seconds));
                    Outgoing::json(200, serde_json::json!({ "now": now }).to_string())
                }
                Err(_) => error_json(400, "give the seconds to advance: /_mock/advance/<seconds>"),
            },
            ("GET", "notifications") if arg.is_empty() => {
                match serde_json::to_vec(&self.notifier.records()) {
                    Ok(body) => Outgoing::json(200, body),
                    Err(e) => error_json(500, &e.to_string()),
                }
            }
            _ => error_json(404, "unknown admin endpoint; see mock/README.md"),
        }
    }
}

fn view_json(status: u16, view: &OrderView) -> Outgoing {
    match serde_json::to_vec(view) {
        Ok(body) => Outgoing::json(status, body),
        Err(e) => error_json(500, &e.to_string()),
    }
}

fn html(status: u16, page: String) -> Outgoing {
    Outgoing {
        status,
        headers: vec![("Content-Type".into(), "text/html; charset=UTF-8".into())],
        body: page.into_bytes(),
    }
}

fn error_json(status: u16, message: &str) -> Outgoing {
    Outgoing::json(status, serde_json::json!({ "error": message }).to_string())
}
