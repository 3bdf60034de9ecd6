#[test]
fn probe() {
    let kind = std::env::var("PROBE_KIND").unwrap();
    let depth: usize = std::env::var("PROBE_DEPTH").unwrap().parse().unwrap();
    let text = match kind.as_str() {
        "compact" => format!("{}1\n", "- ".repeat(depth)),
        "qkeys" => format!("{}1\n", "? ".repeat(depth)),
        "block" => (0..depth).map(|i| format!("{}k{i}:\n", " ".repeat(i))).collect(),
        _ => panic!(),
    };
    let r = payspec_codegen::generate("x.yaml", &text).map(|_| ()).map_err(|e| e.to_string().chars().take(200).collect::<String>());
    println!("RESULT {kind} {depth}: {r:?}");
}
