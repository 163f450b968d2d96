"""Holds redirect_match.py to the case table dcr-core is tested against."""

import json
import pathlib
import sys

from redirect_match import redirect_uri_matches

table = pathlib.Path(__file__).resolve().parent.parent / "redirect-uri-cases.json"
cases = json.loads(table.read_text())
wrong = [c for c in cases if redirect_uri_matches([c["registered"]], c["presented"]) != c["matches"]]
for case in wrong:
    print(f"python disagrees with dcr: {case}", file=sys.stderr)
print(f"python redirect match: {len(cases) - len(wrong)}/{len(cases)} cases agree with dcr-core")
sys.exit(1 if wrong else 0)
