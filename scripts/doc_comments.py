#!/usr/bin/env python3
"""Turns the plain comments of public headers into Doxygen comments, in place.

    scripts/doc_comments.py [FILE_OR_FOLDER ...]     (default: include/cnn)

Doxygen reads only `///` (and `/** */`) comments. This script rewrites, in each header:

  - the comment block at the top of the file (before `#pragma once`) as `/// \\file` plus the
    block, so it documents the header itself;
  - a block of `//` lines directly above a declaration (no blank line between) as `///`,
    except section rulers such as `// ---- creation ----`, which stay plain;
  - a comment after a member or enumerator on the same line, `int n = 0;  // count`, as
    `///< count`, with its continuation lines (comment-only lines indented further than the
    code above them) as `///<` too;
  - inside those blocks, a run of lines indented by two or more extra spaces (a code example,
    a formula, an aligned table) is fenced with ``` (```text unless a line ends with `;`, `{`
    or `}`, so that prose is not highlighted as C++) so that Doxygen keeps it as written; an
    indented run that starts with a list item ("- ", "* ", "1. ") is a Markdown list and is
    left alone.

Forward declarations (`class Graph;`) are not documented: Doxygen would give their comment to
the next declaration.

Only comments at namespace, class, struct or enum scope are touched: comments inside function
bodies stay plain (Doxygen would append them to the function's description). Running it again
changes nothing, so it can be re-applied to headers written later with `//` comments.
"""
import pathlib
import re
import sys

COMMENT = re.compile(r"^(\s*)//(?!/)(.*)$")
RULER = re.compile(r"^\s*//\s*-{3,}")
TRAILING = re.compile(r"^(\s*\S.*?)(\s+)//(?![/<])(.*)$")
SCOPE_HEAD = re.compile(r"\b(namespace|class|struct|enum|union)\b")
NOT_A_DECLARATION = re.compile(r"^(#(?!define)|}|public:|private:|protected:|namespace\b|//)")
FORWARD_DECLARATION = re.compile(r"^(class|struct)\s+\w+;")
PREFORMATTED = re.compile(r"^\s*///\s{3,}\S")
LIST_ITEM = re.compile(r"^\s*///\s+([-*]|\d+\.)\s")
EMPTY_DOC = re.compile(r"^\s*///\s*$")


def code_part(line):
    """The line without string and character literals and without a // comment."""
    line = re.sub(r'"(\\.|[^"\\])*"', '""', line)
    line = re.sub(r"'(\\.|[^'\\])*'", "''", line)
    return line.split("//", 1)[0]


def scope_levels(lines):
    """For each line, whether its start lies at namespace/class scope (not in a body)."""
    stack, statement, at_scope = [], "", []
    for line in lines:
        at_scope.append(all(stack))
        code = code_part(line)
        if code.lstrip().startswith("#"):
            continue
        for ch in code:
            if ch == "{":
                stack.append(bool(SCOPE_HEAD.search(statement)) and all(stack))
                statement = ""
            elif ch == "}":
                if stack:
                    stack.pop()
                statement = ""
            elif ch == ";":
                statement = ""
            else:
                statement += ch
        statement += " "
    return at_scope


def to_doc(line, marker="///"):
    m = COMMENT.match(line)
    return f"{m.group(1)}{marker}{m.group(2)}"


def fence(block):
    """Fences the indented runs of a converted comment block (see the module's description)."""
    out, i = [], 0
    while i < len(block):
        if not PREFORMATTED.match(block[i]):
            out.append(block[i])
            i += 1
            continue
        j = i
        while j < len(block) and (PREFORMATTED.match(block[j]) or (
                EMPTY_DOC.match(block[j]) and j + 1 < len(block)
                and PREFORMATTED.match(block[j + 1]))):
            j += 1
        run = block[i:j]
        if LIST_ITEM.match(run[0]):
            out += run
        else:
            indent = block[i][:len(block[i]) - len(block[i].lstrip())]
            # C++ (highlighted, names linked) when a line ends as code does, else plain text.
            code = any(line.rstrip().endswith((";", "{", "}")) for line in run)
            out += [f"{indent}/// ```" + ("" if code else "text")] + run + [f"{indent}/// ```"]
        i = j
    return out


def convert(text):
    lines = text.split("\n")
    out = [[line] for line in lines]  # what each line becomes: fences add lines
    at_scope = scope_levels(lines)
    n = len(lines)

    # The file's own description: the comment lines before `#pragma once`.
    first_code = next((i for i, l in enumerate(lines) if l.strip() and not COMMENT.match(l)), n)
    last_comment = first_code
    while last_comment > 0 and not lines[last_comment - 1].strip():
        last_comment -= 1
    if first_code < n and lines[first_code].strip() == "#pragma once" and last_comment > 0 \
            and all(COMMENT.match(l) for l in lines[:last_comment]):
        header = fence(["/// \\file"] + [to_doc(l) for l in lines[:last_comment]])
        out[0] = header
        for k in range(1, last_comment):
            out[k] = []
    else:
        first_code = 0

    def set_line(i, value):
        out[i] = [value]

    # Trailing comments on members and enumerators, and their continuation lines.
    continuation = set()
    for i in range(first_code, n):
        m = TRAILING.match(lines[i])
        if not m or not at_scope[i] or COMMENT.match(lines[i]):
            continue
        code = code_part(lines[i]).rstrip()
        if code.strip() in ("}", "};") or not code.endswith((";", ",", "}")):
            continue
        if FORWARD_DECLARATION.match(code.strip()):
            continue
        if NOT_A_DECLARATION.match(code.strip()) or code.strip().startswith(("return", "case")):
            continue
        set_line(i, f"{m.group(1)}{m.group(2)}///<{m.group(3)}")
        code_indent = len(lines[i]) - len(lines[i].lstrip())
        j = i + 1
        while j < n and COMMENT.match(lines[j]) and \
                len(lines[j]) - len(lines[j].lstrip()) > code_indent + 2:
            set_line(j, to_doc(lines[j], "///<"))
            continuation.add(j)
            j += 1

    # Comment blocks directly above a declaration.
    i = first_code
    while i < n:
        if not COMMENT.match(lines[i]) or i in continuation:
            i += 1
            continue
        start = i
        while i < n and COMMENT.match(lines[i]) and i not in continuation:
            i += 1
        following = lines[i].strip() if i < n else ""
        if following and at_scope[start] and not NOT_A_DECLARATION.match(following) \
                and not FORWARD_DECLARATION.match(following):
            rulers = [k for k in range(start, i) if RULER.match(lines[k])]
            first = (rulers[-1] + 1) if rulers else start
            if first < i:
                out[first] = fence([to_doc(lines[k]) for k in range(first, i)])
                for k in range(first + 1, i):
                    out[k] = []
    return "\n".join(line for group in out for line in group)


def main(argv):
    roots = [pathlib.Path(a) for a in argv] or [pathlib.Path("include/cnn")]
    files = []
    for root in roots:
        files += sorted(root.rglob("*.h")) if root.is_dir() else [root]
    changed = 0
    for path in files:
        text = path.read_text()
        new = convert(text)
        if new != text:
            path.write_text(new)
            changed += 1
    print(f"doc_comments: {changed} of {len(files)} headers changed")


if __name__ == "__main__":
    main(sys.argv[1:])
