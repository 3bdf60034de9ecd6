//! An independent oracle for the property tests. The properties take the specs' rules (which
//! members are required, lengths, ranges, enum values, rule groups) from `payspec_codegen`'s
//! parser, the same parser that generates the code, so a misread value would be wrong in both
//! places at once. This test reads every spec again with a plain YAML reader of its own
//! (`yaml-rust2`, no payspec code) and requires the parser's model to agree, member by member.

use std::collections::BTreeMap;

use payspec_codegen::ir::{Api, Field, Rule, TypeDef};
use yaml_rust2::{Yaml, YamlLoader};

/// What the oracle reads of one member.
#[derive(Debug, PartialEq, Eq)]
struct Member {
    required: bool,
    max_length: Option<i64>,
    min: Option<i64>,
    max: Option<i64>,
}

fn get<'a>(y: &'a Yaml, key: &str) -> &'a Yaml {
    &y[key]
}

fn int(y: &Yaml) -> Option<i64> {
    y.as_i64()
        .or_else(|| y.as_str().and_then(|s| s.parse().ok()))
}

fn truthy(y: &Yaml) -> bool {
    y.as_bool().unwrap_or(false) || y.as_str() == Some("true")
}

/// The oracle's reading of a `fields:` mapping; `shared` resolves the Ksher `params:` entries.
fn read_fields(fields: &Yaml, shared: &Yaml) -> BTreeMap<String, Member> {
    let mut out = BTreeMap::new();
    let Some(map) = fields.as_hash() else {
        return out;
    };
    for (name, def) in map {
        let name = name.as_str().expect("field name").to_owned();
        // `name: shared`, or `{shared: true | other, ...overrides}`.
        let base = match def {
            Yaml::String(s) if s == "shared" => Some(get(shared, &name)),
            Yaml::Hash(_) => match get(def, "shared") {
                Yaml::Boolean(true) => Some(get(shared, &name)),
                Yaml::String(s) if s == "true" => Some(get(shared, &name)),
                Yaml::String(other) => Some(get(shared, other)),
                _ => None,
            },
            _ => None,
        };
        let pick = |key: &str| {
            let own = get(def, key);
            if own.is_badvalue() {
                base.map_or(&Yaml::BadValue, |b| get(b, key))
            } else {
                own
            }
        };
        out.insert(
            name,
            Member {
                required: truthy(pick("required")),
                max_length: int(pick("max_length")),
                min: int(pick("min")),
                max: int(pick("max")),
            },
        );
    }
    out
}

fn model(fields: &[Field]) -> BTreeMap<String, Member> {
    fields
        .iter()
        .map(|f| {
            (
                f.wire.clone(),
                Member {
                    required: f.required,
                    max_length: f.max_length.map(|n| n as i64),
                    min: f.min.map(|n| n as i64),
                    max: f.max.map(|n| n as i64),
                },
            )
        })
        .collect()
}

/// The oracle's reading of a `rules:` list, as comparable text.
fn read_rules(rules: &Yaml) -> Vec<String> {
    let names = |y: &Yaml| -> Vec<String> {
        y.as_vec()
            .map(|v| {
                v.iter()
                    .filter_map(|n| n.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    rules
        .as_vec()
        .map(|v| {
            v.iter()
                .map(|rule| {
                    if let Some(group) = get(rule, "at_least_one_of").as_vec() {
                        let g: Vec<&str> = group.iter().filter_map(Yaml::as_str).collect();
                        format!("at_least_one_of {g:?}")
                    } else if !get(rule, "required_when").is_badvalue() {
                        let r = get(rule, "required_when");
                        format!(
                            "required_when {:?} {:?} {:?}",
                            get(r, "field").as_str().unwrap_or(""),
                            get(r, "when").as_str().unwrap_or(""),
                            names(get(r, "in"))
                        )
                    } else {
                        let r = get(rule, "not_greater");
                        format!(
                            "not_greater {:?} {:?}",
                            get(r, "field").as_str().unwrap_or(""),
                            get(r, "than").as_str().unwrap_or("")
                        )
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}

fn model_rules(rules: &[Rule]) -> Vec<String> {
    rules
        .iter()
        .map(|r| match r {
            Rule::AtLeastOneOf { fields, .. } => format!("at_least_one_of {fields:?}"),
            Rule::RequiredWhen {
                field,
                when,
                values,
                ..
            } => format!("required_when {field:?} {when:?} {values:?}"),
            Rule::NotGreater { field, than, .. } => format!("not_greater {field:?} {than:?}"),
        })
        .collect()
}

/// Collects disagreements and counts the members compared.
#[derive(Default)]
struct Checker {
    problems: Vec<String>,
    compared: usize,
}

impl Checker {
    fn members(
        &mut self,
        what: String,
        oracle: BTreeMap<String, Member>,
        parsed: BTreeMap<String, Member>,
    ) {
        self.compared += oracle.len();
        if oracle != parsed {
            self.problems.push(format!(
                "{what}: YAML says {oracle:?}, the parser {parsed:?}"
            ));
        }
    }

    fn same<T: PartialEq + std::fmt::Debug>(&mut self, what: String, oracle: T, parsed: T) {
        if oracle != parsed {
            self.problems.push(format!(
                "{what}: YAML says {oracle:?}, the parser {parsed:?}"
            ));
        }
    }
}

fn check_spec(name: &str, c: &mut Checker) {
    let path = format!("{}/../spec/{name}.yaml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("spec");
    let doc = YamlLoader::load_from_str(&text).expect("YAML").remove(0);
    let api: Api =
        payspec_codegen::parse_spec(&format!("spec/{name}.yaml"), &text).expect("spec parses");
    let shared = get(&doc, "params");
    c.members(
        format!("{name}: common"),
        read_fields(get(&doc, "common"), shared),
        model(&api.common),
    );
    for op in &api.operations {
        let req = get(get(get(&doc, "operations"), &op.wire), "request");
        // JSON requests are object types of their own (inline); form requests are field lists.
        let (fields, rules) = match &op.request_type {
            Some(t) => match api.types.iter().find(|d| d.name() == t) {
                Some(TypeDef::Object { fields, rules, .. }) => (fields, rules),
                _ => panic!("{name}: no object type {t}"),
            },
            None => (&op.request, &op.rules),
        };
        c.members(
            format!("{name}: request of {}", op.wire),
            read_fields(get(req, "fields"), shared),
            model(fields),
        );
        c.same(
            format!("{name}: rules of {}", op.wire),
            read_rules(get(req, "rules")),
            model_rules(rules),
        );
    }
    for t in &api.types {
        let y = get(get(&doc, "types"), t.name());
        if y.is_badvalue() {
            continue; // an inline type: compared through its operation
        }
        match t {
            TypeDef::Object {
                name: n,
                fields,
                rules,
                ..
            } => {
                c.members(
                    format!("{name}: type {n}"),
                    read_fields(get(y, "fields"), shared),
                    model(fields),
                );
                c.same(
                    format!("{name}: rules of {n}"),
                    read_rules(get(y, "rules")),
                    model_rules(rules),
                );
            }
            TypeDef::Enum {
                name: n, values, ..
            } => {
                let oracle: Vec<String> = match get(y, "values") {
                    Yaml::Hash(h) => h
                        .keys()
                        .filter_map(|k| k.as_str().map(str::to_owned))
                        .collect(),
                    Yaml::Array(a) => a
                        .iter()
                        .filter_map(|k| k.as_str().map(str::to_owned))
                        .collect(),
                    _ => Vec::new(),
                };
                let parsed: Vec<String> = values.iter().map(|(w, _, _)| w.clone()).collect();
                c.same(format!("{name}: values of {n}"), oracle, parsed);
            }
        }
    }
}

#[test]
fn the_parser_reads_every_rule_as_a_plain_yaml_reader_does() {
    let mut checker = Checker::default();
    check_spec("ksher", &mut checker);
    let ksher = checker.compared;
    check_spec("alipayplus", &mut checker);
    let alipayplus = checker.compared - ksher;
    assert!(
        checker.problems.is_empty(),
        "{}",
        checker.problems.join("\n")
    );
    // Guard against comparing nothing.
    assert!(
        ksher > 150 && alipayplus > 100,
        "compared {ksher} / {alipayplus} members"
    );
}
