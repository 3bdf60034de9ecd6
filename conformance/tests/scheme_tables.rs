//! The operation and notification tables of each generated crate (`Api::OPERATIONS`,
//! `Api::NOTIFICATIONS`), as callers that pick an operation at run time meet them: every row
//! describes its own operation, and its `Debug` names it without the function pointers.

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
