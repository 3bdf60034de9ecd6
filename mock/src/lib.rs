//! An in-process mock of the Ksher, Alipay+ and Antom gateways, served from the generated crates.
//!
//! The mock dispatches by the generated crates' run-time API: a request's path is looked up in
//! the operation table of the spec (unknown path: 404), its signature is checked with the
//! merchant's public key, its parameters go through the generated `AnyRequest` parser (an
//! invalid parameter is the gateway's error answer naming it), and the answer is a typed
//! response `data` of the spec, signed with the gateway key like the real gateway signs it.
//!
//! State lives in memory: orders are created by the pay operations, paid through the admin
//! endpoint (`POST /_mock/pay/<order>`, see `mock/README.md`) or automatically after a delay,
//! queried, closed or cancelled, refunded (partly or fully; the refunded total never exceeds the
//! order amount, also under concurrent refunds) and refund-queried. When an order becomes paid,
//! the payment notification is POSTed to the notify URL of the request, signed like the real
//! gateway signs it, and retried on a shortened schedule until the receiver replies success.
//! Only loopback notify URLs are contacted.
//!
//! ```no_run
//! use payspec_mock::{Api, Config, MockGateway};
//! use payspec_runtime::{PrivateKey, PublicKey};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let (merchant_public_pem, gateway_key_pem) = (String::new(), String::new());
//! let config = Config::new(
//!     Api::Ksher,
//!     PublicKey::from_pem(&merchant_public_pem)?,
//!     PrivateKey::from_pem(&gateway_key_pem)?,
//! );
//! let running = MockGateway::start(config)?; // 127.0.0.1, a free port
//! println!("mock Ksher gateway at {}", running.base_url());
//! running.shutdown();
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod alipayplus;
mod antom;
pub mod faults;
mod gateway;
mod header_rsa;
mod http;
pub mod ksher;
mod notify;
mod pages;
pub mod probe;
mod server;
mod store;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use payspec_runtime::{PrivateKey, PublicKey};

pub use notify::{DeliveryState, NotificationRecord};
pub use store::{OrderState, OrderView, RefundView};

/// Which gateway API the mock serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Api {
    /// Ksher classic API (`payspec-ksher`): form requests, `sign` parameter, signed `data`.
    Ksher,
    /// Alipay+ ACQP API (`payspec-alipayplus`): JSON requests, `Signature` headers.
    AlipayPlus,
    /// Antom (AMS) merchant API (`payspec-antom`): JSON requests, `Signature` headers.
    Antom,
}

impl Api {
    /// The handler that serves this API.
    fn handler(self) -> &'static dyn gateway::ApiHandler {
        match self {
            Api::Ksher => &ksher::KsherApi,
            Api::AlipayPlus => &alipayplus::AlipayPlusApi,
            Api::Antom => &antom::AntomApi,
        }
    }

    /// The API's short name (`ksher`, `alipayplus`, `antom`).
    pub fn name(self) -> &'static str {
        match self {
            Api::Ksher => "ksher",
            Api::AlipayPlus => "alipayplus",
            Api::Antom => "antom",
        }
    }
}

/// The retry delays of the real Ksher notification schedule (after the first try): 1 s, 2 s,
/// 2 s, 10 s, 30 s, 1 min, 10 min, 1 h, 3 h, 5 h, 8 h, 12 h (reference, section 2.9).
pub const KSHER_RETRY_SCHEDULE: [Duration; 12] = [
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(2),
    Duration::from_secs(10),
    Duration::from_secs(30),
    Duration::from_secs(60),
    Duration::from_secs(600),
    Duration::from_secs(3600),
    Duration::from_secs(3 * 3600),
    Duration::from_secs(5 * 3600),
    Duration::from_secs(8 * 3600),
    Duration::from_secs(12 * 3600),
];

/// The mock's default retry delays: the first six steps of [`KSHER_RETRY_SCHEDULE`] divided
/// by 20 (50 ms, 100 ms, 100 ms, 500 ms, 1.5 s, 3 s). Alipay+ documents no schedule ("retries
/// until the reply's result is S"), so the same one is used for it.
pub fn default_retry_delays() -> Vec<Duration> {
    KSHER_RETRY_SCHEDULE[..6].iter().map(|d| *d / 20).collect()
}

/// How to run a mock gateway.
#[derive(Clone)]
pub struct Config {
    /// The API to serve.
    pub api: Api,
    /// Where to listen. Must be a loopback address (`127.0.0.1:0`, the default, picks a free
    /// port; read it from [`Running::addr`]).
    pub listen: SocketAddr,
    /// Verifies request signatures.
    pub merchant_public_key: PublicKey,
    /// Signs responses and notifications.
    pub gateway_key: PrivateKey,
    /// Ksher: the only `appid` accepted; Alipay+: the only `Client-Id` accepted. `None`: any.
    pub client_id: Option<String>,
    /// Pay every new order automatically after this delay (besides the admin endpoint).
    pub auto_pay_after: Option<Duration>,
    /// Delays before each notification retry; the number of retries is its length.
    pub notify_retry_delays: Vec<Duration>,
    /// At most this many connections are served at once; a connection beyond the limit is
    /// closed at once, so idle or slow clients cannot hold the mock's memory or threads.
    pub max_connections: usize,
    /// Time a client has to send a request's head, then its body (each bounded separately; an
    /// idle keep-alive connection is closed after it too). Slow or stalled senders get `408`.
    pub read_timeout: Duration,
    /// Ksher payout wallet balance at start, in the smallest currency unit.
    pub payout_balance: u64,
    /// Print one line per request and notification attempt on stderr (never bodies or keys).
    pub log: bool,
    /// Faults to inject ([`faults`]; none by default).
    pub faults: faults::Faults,
    /// Seed of the fault decisions: the same seed and request sequence inject the same faults.
    pub fault_seed: u64,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("api", &self.api)
            .field("listen", &self.listen)
            .field("client_id", &self.client_id)
            .field("auto_pay_after", &self.auto_pay_after)
            .field("notify_retry_delays", &self.notify_retry_delays)
            .field("max_connections", &self.max_connections)
            .field("read_timeout", &self.read_timeout)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// A configuration with the defaults: `127.0.0.1:0`, any client id, no automatic payment,
    /// [`default_retry_delays`], 256 connections, a 10-second read timeout, a payout balance of
    /// 1,000,000.00, no log.
    pub fn new(api: Api, merchant_public_key: PublicKey, gateway_key: PrivateKey) -> Self {
        Config {
            api,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            merchant_public_key,
            gateway_key,
            client_id: None,
            auto_pay_after: None,
            notify_retry_delays: default_retry_delays(),
            max_connections: 256,
            read_timeout: Duration::from_secs(10),
            payout_balance: 100_000_000,
            log: false,
            faults: faults::Faults::default(),
            fault_seed: 0,
        }
    }
}

/// Why the mock did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The listen address is not a loopback address.
    #[error("refusing to listen on {0}: the mock gateway binds to loopback addresses only")]
    NotLoopback(SocketAddr),
    /// The socket could not be bound.
    #[error("cannot listen on {addr}: {message}")]
    Bind {
        /// The requested address.
        addr: SocketAddr,
        /// The reason.
        message: String,
    },
}

/// Entry point: [`MockGateway::start`].
#[derive(Debug)]
pub struct MockGateway;

impl MockGateway {
    /// Starts serving on a background thread; the gateway runs until [`Running::shutdown`]
    /// (or until the [`Running`] is dropped).
    pub fn start(config: Config) -> Result<Running, StartError> {
        server::start(config)
    }
}

/// A running mock gateway.
pub struct Running {
    /// The bound address.
    pub addr: SocketAddr,
    gateway: Arc<gateway::Gateway>,
    server: Option<server::ServerHandle>,
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running")
            .field("addr", &self.addr)
            .field("api", &self.gateway.api)
            .finish_non_exhaustive()
    }
}

impl Running {
    /// `http://<addr>`: the base URL of every host of the API (pass it to `to_http`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The API served.
    pub fn api(&self) -> Api {
        self.gateway.api
    }

    /// Pays a pending order (the same as `POST /_mock/pay/<order>`): the order is looked up by
    /// the merchant's order number (`mch_order_no`, `paymentRequestId`) or the gateway's
    /// (`ksher_order_no`, `paymentId`). Sends the payment notification when the order has a
    /// notify URL.
    pub fn pay(&self, order: &str) -> Result<OrderView, String> {
        self.gateway.pay(order).map_err(|e| e.to_string())
    }

    /// Moves the mock's business clock forward (the same as `POST /_mock/advance/<seconds>`):
    /// orders, cancellation and refund windows and the times in answers see the later time;
    /// request signatures are still judged by the real clock. Returns the new business time.
    pub fn advance(&self, seconds: u32) -> time::OffsetDateTime {
        self.gateway.advance(seconds)
    }

    /// Every fault injected so far, oldest first (`request <n> <method> <path>: <faults>`,
    /// `<notification> for <order>: <faults>`).
    pub fn injected_faults(&self) -> Vec<String> {
        self.gateway.injected()
    }

    /// The current state of an order.
    pub fn order(&self, order: &str) -> Option<OrderView> {
        self.gateway.order_view(order)
    }

    /// Every notification delivery started so far, oldest first.
    pub fn notifications(&self) -> Vec<NotificationRecord> {
        self.gateway.notifier.records()
    }

    /// Waits until every notification delivery has finished (delivered, given up or refused),
    /// at most `timeout`; `true` if they all finished.
    pub fn wait_notifications_idle(&self, timeout: Duration) -> bool {
        self.gateway.notifier.wait_idle(timeout)
    }

    /// Stops accepting requests, waits for requests in progress and stops notification retries.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            self.gateway.begin_shutdown();
            server.stop();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop();
    }
}
