"""Validates OpenAPI documents with openapi-spec-validator (an independent implementation), for
cli/tests/openapi.rs. Usage: openapi_check.py FILE...  Prints one JSON object per file:
{"file": ..., "valid": true|false, "error": "<message>" | null}.
"""
import json
import sys

from openapi_spec_validator import validate


def main():
    for path in sys.argv[1:]:
        try:
            with open(path, encoding="utf-8") as f:
                validate(json.load(f))
            print(json.dumps({"file": path, "valid": True, "error": None}))
        except Exception as e:  # any rejection, with its reason
            print(json.dumps({"file": path, "valid": False, "error": str(e).splitlines()[0][:300]}))


if __name__ == "__main__":
    main()
