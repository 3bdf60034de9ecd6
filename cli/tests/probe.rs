//! `payspec probe-notify`: refuses non-loopback URLs (exit 2, one line) and fails (exit 1) when
//! nothing answers; the endpoint checks themselves are tested in `mock/tests/probe.rs`.

mod support;
use support::payspec;

fn key() -> String {
    payspec_conformance::vectors_dir()
        .join("keys/antom-gateway-mock-2048.pkcs8.pem")
        .display()
        .to_string()
}

#[test]
fn non_loopback_urls_are_refused() {
    let (code, stdout, stderr) = payspec(&[
        "probe-notify",
        "--api",
        "antom",
        "--url",
        "http://192.0.2.1/notify",
        "--gateway-key",
        &key(),
    ]);
    assert_eq!(code, 2, "{stdout}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--allow-non-loopback"), "{stderr}");
}

#[test]
fn a_closed_port_fails_every_check_that_needs_an_answer() {
    // A port that was free a moment ago: nothing answers.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/notify");
    let (code, stdout, _) = payspec(&[
        "probe-notify",
        "--api",
        "antom",
        "--url",
        &url,
        "--gateway-key",
        &key(),
        "--timeout-ms",
        "2000",
    ]);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.starts_with("check | sent | expected | got | PASS/FAIL"),
        "{stdout}"
    );
    for check in ["genuine", "duplicate"] {
        let row = stdout
            .lines()
            .find(|l| l.starts_with(check))
            .unwrap_or_default();
        assert!(row.ends_with("| FAIL"), "{row}");
    }
    assert!(
        stdout.contains("failed checks: genuine, duplicate"),
        "{stdout}"
    );
}

#[test]
fn the_mock_refuses_a_bad_fault_spec() {
    let keys = payspec_conformance::vectors_dir().join("keys");
    let public = keys
        .join("antom-merchant-2048.pub.pem")
        .display()
        .to_string();
    for spec in ["melt=1", "drop=2", "latency=fast", "notify-late=1s@pay"] {
        let (code, stdout, stderr) = payspec(&[
            "mock",
            "--api",
            "antom",
            "--merchant-public-key",
            &public,
            "--gateway-key",
            &key(),
            "--faults",
            spec,
        ]);
        assert_eq!(code, 2, "{spec}: {stdout}");
        assert_eq!(stderr.lines().count(), 1, "{spec}: {stderr}");
        assert!(stderr.contains("--faults"), "{spec}: {stderr}");
    }
}
