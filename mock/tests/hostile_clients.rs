//! Issue 9, defect 3: slow, stalled and idle clients cannot starve the mock. Every test talks to
//! a mock it starts on 127.0.0.1, opens a bounded number of connections and ends in seconds.

mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use payspec_mock::{Api, MockGateway};

/// Sends a small valid HTTP request and returns the status line (the mock answers 404 for
/// an unknown path, which is enough to prove it serves).
fn probe(addr: SocketAddr) -> String {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    stream
        .write_all(b"GET /nothing-here HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .expect("write");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.lines().next().unwrap_or_default().to_owned()
}

/// A connection that announces a body and never sends it.
fn stalled(addr: SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .write_all(
            b"POST /KsherPay/native_pay HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 2000\r\n\r\nappid=",
        )
        .expect("write");
    stream
}

#[test]
fn stalled_bodies_do_not_block_other_clients_and_time_out() {
    let mut config = support::config(Api::Ksher);
    config.read_timeout = Duration::from_secs(1);
    let mock = MockGateway::start(config).expect("mock starts");
    // More stalled clients than the old worker pool had slots (16).
    let mut held: Vec<TcpStream> = (0..40).map(|_| stalled(mock.addr)).collect();
    let started = Instant::now();
    assert!(probe(mock.addr).starts_with("HTTP/1.1 404"));
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "a normal request waited {:?} behind stalled ones",
        started.elapsed()
    );
    // Each stalled request is answered 408 once the read timeout passes.
    let first = held.first_mut().expect("a stalled connection");
    first
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut answer = String::new();
    let _ = first.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    mock.shutdown();
}

#[test]
fn idle_connections_are_capped_and_closed() {
    let mut config = support::config(Api::Ksher);
    config.read_timeout = Duration::from_secs(1);
    config.max_connections = 8;
    let mock = MockGateway::start(config).expect("mock starts");
    // Fill every slot with connections that send nothing at all.
    let idle: Vec<TcpStream> = (0..8)
        .map(|_| TcpStream::connect(mock.addr).expect("connect"))
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    // One more is closed at once: reading gives end-of-file, not a hang.
    let mut extra = TcpStream::connect(mock.addr).expect("connect");
    extra
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let started = Instant::now();
    let mut buf = [0u8; 16];
    let n = extra.read(&mut buf).unwrap_or(0);
    assert_eq!(n, 0);
    assert!(started.elapsed() < Duration::from_secs(2));
    // The idle ones are dropped by the header timeout, and the mock serves again.
    let deadline = Instant::now() + Duration::from_secs(6);
    loop {
        if probe(mock.addr).starts_with("HTTP/1.1 404") {
            break;
        }
        assert!(Instant::now() < deadline, "the mock did not recover");
        std::thread::sleep(Duration::from_millis(200));
    }
    drop(idle);
    mock.shutdown();
}

#[test]
fn oversized_bodies_are_refused_from_the_announced_length() {
    let mock = support::start(Api::Ksher);
    let mut stream = TcpStream::connect(mock.addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    stream
        .write_all(
            b"POST /KsherPay/native_pay HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\n",
        )
        .expect("write");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer:?}");
    mock.shutdown();
}
