//! The vector runner as a test: every vector file passes (or is a listed expected failure), and
//! the expected-failure list is strict.

use payspec_conformance::runner::{
    parse_expected_failures, render, render_expected_failures, run_all, summarize, CaseResult,
    ExpectedFailures, FileReport, Verdict,
};
use payspec_conformance::{expected_failures_file, vectors_dir};

#[test]
fn every_vector_file_conforms() {
    let list = parse_expected_failures(
        &std::fs::read_to_string(expected_failures_file()).unwrap_or_default(),
    );
    let reports = run_all(&vectors_dir());
    let files: Vec<&str> = reports.iter().map(|r| r.file.as_str()).collect();
    for wanted in [
        "ksher/request-signing.json",
        "ksher/response-verification.json",
        "alipayplus/request-signing.json",
        "alipayplus/response-verification.json",
        "wycheproof/rsa_signature_2048_sha256_test.json",
    ] {
        assert!(
            files.contains(&wanted),
            "{wanted} was not run; ran {files:?}"
        );
    }
    let summary = summarize(&reports, &list);
    let text = render(&reports, &summary, &list);
    println!("{}", summary.closing_line());
    assert!(summary.failed.is_empty(), "{text}");
    assert!(
        summary.passed >= 400,
        "only {} cases passed",
        summary.passed
    );
}

fn report(cases: &[(&str, Verdict)]) -> Vec<FileReport> {
    vec![FileReport {
        file: "x.json".into(),
        kind: "test".into(),
        cases: cases
            .iter()
            .map(|(n, v)| CaseResult {
                name: (*n).into(),
                verdict: v.clone(),
            })
            .collect(),
        error: None,
    }]
}

fn check(cases: &[(&str, Verdict)], listed: &[(&str, &str)], closing: &str, problems: &[&str]) {
    let list: ExpectedFailures = listed
        .iter()
        .map(|(n, r)| ((*n).into(), (*r).into()))
        .collect();
    let summary = summarize(&report(cases), &list);
    assert_eq!(summary.closing_line(), closing);
    for (problem, wanted) in summary.failed.iter().zip(problems) {
        assert!(
            problem.contains(wanted),
            "{problem:?} should mention {wanted:?}"
        );
    }
    assert_eq!(summary.failed.len(), problems.len(), "{:?}", summary.failed);
}

#[test]
fn expected_failures_are_strict() {
    let fail = |r: &str| Verdict::Fail(r.into());
    // An unlisted failure fails the run.
    check(
        &[("a", Verdict::Pass), ("b", fail("bad sign"))],
        &[],
        "1 passed, 1 failed, 0 expected failures",
        &["b: bad sign"],
    );
    // A listed failure with the same reason is expected.
    check(
        &[("b", fail("bad sign"))],
        &[("b", "bad sign")],
        "0 passed, 0 failed, 1 expected failures",
        &[],
    );
    // A listed case that now passes fails the run.
    check(
        &[("b", Verdict::Pass)],
        &[("b", "bad sign")],
        "0 passed, 1 failed, 0 expected failures",
        &["passes"],
    );
    // A listed case failing for another reason fails the run.
    check(
        &[("b", fail("other"))],
        &[("b", "bad sign")],
        "0 passed, 1 failed, 0 expected failures",
        &["another reason"],
    );
    // A listed case that does not exist fails the run.
    check(
        &[("a", Verdict::Pass)],
        &[("zzz", "gone")],
        "1 passed, 1 failed, 0 expected failures",
        &["no such case"],
    );
    // Skips are neither passes nor failures.
    check(
        &[("s", Verdict::Skip("n/a".into()))],
        &[],
        "0 passed, 0 failed, 0 expected failures",
        &[],
    );
}

#[test]
fn fix_writes_a_list_that_reads_back() {
    let list: ExpectedFailures = [(
        "ksher.request.x".to_owned(),
        "sign differs: got \"a\", want \"b\"".to_owned(),
    )]
    .into();
    assert_eq!(
        parse_expected_failures(&render_expected_failures(&list)),
        list
    );
    assert!(
        parse_expected_failures(&render_expected_failures(&ExpectedFailures::new())).is_empty()
    );
}

#[test]
fn unparseable_vector_file_is_a_located_failure() {
    let dir = std::env::temp_dir().join(format!("payspec-runner-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("ksher")).unwrap();
    std::fs::write(
        dir.join("ksher/request-signing.json"),
        "{\"scheme\": \"x\",\n  \"cases\": [ {\"id\": }\n]}",
    )
    .unwrap();
    let reports = run_all(&dir);
    let summary = summarize(&reports, &ExpectedFailures::new());
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(summary.failed.len(), 1, "{:?}", summary.failed);
    assert!(
        summary.failed[0].contains("ksher/request-signing.json:2:"),
        "{:?}",
        summary.failed[0]
    );
}
