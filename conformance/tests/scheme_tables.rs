//! The operation and notification tables of each generated crate (`Api::OPERATIONS`,
//! `Api::NOTIFICATIONS`), as callers that pick an operation at run time meet them: every row
//! describes its own operation, and its `Debug` names it without the function pointers; a name
//! looked up at run time finds its own row or none.

use payspec_runtime::scheme::{header_rsa, sorted_params};

fn check(debug: String, expected: String) {
    assert_eq!(debug, expected);
}

#[test]
fn sorted_params_rows_name_their_operation() {
    use payspec_ksher::operations::order_query::OrderQueryRequest;
    use payspec_ksher::Api as Ksher;
    use sorted_params::Operation as _;
    let rows = <Ksher as sorted_params::Api>::OPERATIONS;
    assert!(!rows.is_empty());
    for row in rows {
        check(
            format!("{row:?}"),
            format!(
                "OperationEntry {{ name: {:?}, path: {:?}, .. }}",
                row.name, row.path
            ),
        );
    }
    let query = rows
        .iter()
        .find(|row| row.name == OrderQueryRequest::NAME)
        .expect("order_query row");
    assert_eq!(query.path, OrderQueryRequest::PATH);
    let notifications = <Ksher as sorted_params::Api>::NOTIFICATIONS;
    assert!(!notifications.is_empty());
    for row in notifications {
        check(
            format!("{row:?}"),
            format!("NotificationEntry {{ name: {:?}, .. }}", row.name),
        );
    }
}

fn header_rsa_rows<A: header_rsa::Api>() {
    assert!(!A::OPERATIONS.is_empty());
    for row in A::OPERATIONS {
        check(
            format!("{row:?}"),
            format!(
                "OperationEntry {{ name: {:?}, path: {:?}, .. }}",
                row.name, row.path
            ),
        );
    }
}

#[test]
fn header_rsa_rows_name_their_operation() {
    header_rsa_rows::<payspec_alipayplus::Api>();
    header_rsa_rows::<payspec_antom::Api>();
}

/// Names looked up at run time: an unknown name is reported as unknown, never matched to some
/// other row.
#[test]
fn unknown_names_are_not_matched_to_another_row() {
    use payspec_runtime::sorted_params::ResponseError;
    use payspec_runtime::{Backend, PrivateKey};
    let ksher_notifications = <payspec_ksher::Api as sorted_params::Api>::NOTIFICATIONS;
    for row in ksher_notifications {
        assert_eq!(
            sorted_params::signed_fields::<payspec_ksher::Api>(row.name),
            Some(row.signed_fields),
            "{}",
            row.name
        );
    }
    assert_eq!(
        sorted_params::signed_fields::<payspec_ksher::Api>("no_such_name"),
        None
    );
    let key = PrivateKey::generate(Backend::default(), 1024).expect("key");
    let verifier = payspec_ksher::Verifier::new(key.public_key());
    let body = br#"{"code":0,"data":{"a":"1"},"sign":"00"}"#;
    assert_eq!(
        verifier.verify_named("no_such_name", body).map(|_| ()),
        Err(ResponseError::UnknownOperation("no_such_name".into()))
    );
    assert_eq!(
        verifier.verify_raw("no_such_name", body).map(|_| ()),
        Err(ResponseError::UnknownOperation("no_such_name".into()))
    );
}

/// A call's `Debug` names its operation only (no request contents).
#[test]
fn call_debug_names_the_operation() {
    use payspec_ksher::operations::order_query::OrderQueryRequest;
    use payspec_runtime::{Backend, PrivateKey};
    let key = PrivateKey::generate(Backend::default(), 1024).expect("key");
    let gateway = payspec_ksher::Gateway::from_keys("mch35005", key.clone(), key.public_key());
    let request = OrderQueryRequest::new().mch_order_no("A1");
    assert_eq!(
        format!("{:?}", gateway.exchange(&request)),
        r#"Call { operation: "order_query" }"#
    );
}
