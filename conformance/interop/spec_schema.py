"""Validates spec files against spec/schema.json with the `jsonschema` package (an independent
JSON Schema implementation), for conformance/tests/spec_schema.rs.

Usage: spec_schema.py SCHEMA FILE...  Prints one JSON object per file:
{"file": ..., "valid": true|false, "error": "<first error>" | null}.

YAML is read as YAML 1.2 reads it, as the generator does: only `true`/`false` are booleans
(not yes/no/on/off/y/n), and dates stay text.
"""
import json
import re
import sys

import jsonschema
import yaml


class Yaml12Loader(yaml.SafeLoader):
    pass


Yaml12Loader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|false)$"), list("tf")
)


def main():
    schema_path, files = sys.argv[1], sys.argv[2:]
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)
    for path in files:
        try:
            with open(path, encoding="utf-8-sig") as f:
                document = yaml.load(f, Loader=Yaml12Loader)
        except Exception as e:  # an unreadable file is a rejection with its reason
            print(json.dumps({"file": path, "valid": False, "error": "YAML: %s" % e}))
            continue
        errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
        print(json.dumps({
            "file": path,
            "valid": not errors,
            "error": ("%s: %s" % ("/".join(map(str, errors[0].path)), errors[0].message)) if errors else None,
        }))


if __name__ == "__main__":
    main()
