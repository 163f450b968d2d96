"""Checks that the code blocks of a guide are the example files they name.

A block follows a line `<!-- file: examples/token-endpoint/... -->` and must
be that file, byte for byte: the guide cannot drift from the code CI runs.
After changing an example, `python3 check_docs.py --copy docs/integration.md`
copies the files into the guide.
"""

import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"(<!-- file: (\S+) -->\n```[a-z]*\n)(.*?)(^```\n)", re.S | re.M)

copy = sys.argv[1:2] == ["--copy"]
guide = pathlib.Path(sys.argv[-1])
text = guide.read_text()
blocks = BLOCK.findall(text)
problems = [] if blocks else [f"{guide}: no <!-- file: ... --> blocks"]
if text.count("<!-- file: ") != len(blocks):
    problems.append(f"{guide}: a <!-- file: ... --> line not followed by a code block")
for _, name, shown, _ in blocks:
    path = ROOT / name
    if not path.is_file():
        problems.append(f"{guide}: {name} does not exist")
    elif path.read_text() != shown and not copy:
        problems.append(f"{guide}: the block of {name} is not the file; run check_docs.py --copy {guide}")
if copy and not problems:
    text = BLOCK.sub(lambda m: m[1] + (ROOT / m[2]).read_text() + m[4], text)
    guide.write_text(text)
for problem in problems:
    print(problem, file=sys.stderr)
if not problems:
    print(f"{guide.name}: {len(blocks)} code block(s) are the example files")
sys.exit(1 if problems else 0)
