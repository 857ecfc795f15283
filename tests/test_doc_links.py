"""The README and docs stand alone: every link resolves to a file inside the repository.

Links to web pages (``http://``, ``https://``) are citations of outside sources and are
allowed (never fetched). Any other link is a path relative to its file: it must stay inside
the repository and name a file that exists, and an ``#anchor`` into a Markdown file must
name one of its headings. No text may point into the workspace's ``shared/`` folder, which a
clone of the repository does not have.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

INLINE = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")  # [text](target "title")
DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$", re.MULTILINE)  # [label]: target
HTML = re.compile(r"<(?:a|img)\s[^>]*?(?:href|src)=\"([^\"]+)\"", re.IGNORECASE)
FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"`[^`\n]*`")
OUTSIDE_TEXT = re.compile(r"(?<![\w.])(?:\.\./)+shared/|(?<![\w/.])shared/(?:reference|DESIGN)")
WEB = ("http://", "https://", "mailto:")


def documents(root: Path) -> list[Path]:
    docs = [root / "README.md", root / "CONTRIBUTING.md", *sorted((root / "docs").rglob("*.md"))]
    return [p for p in docs if p.is_file()]


def _prose(text: str) -> str:
    """The text without code blocks and code spans (commands and paths there are not links)."""
    return CODE_SPAN.sub("", FENCE.sub("", text))


def links(text: str) -> list[str]:
    prose = _prose(text)
    return [m.group(1) for pattern in (INLINE, DEFINITION, HTML) for m in pattern.finditer(prose)]


def anchors(markdown: str) -> set[str]:
    """The anchors of a Markdown file's headings, as GitHub makes them."""
    out = set()
    for line in FENCE.sub("", markdown).splitlines():
        m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if m:
            title = re.sub(r"[^\w\- ]", "", m.group(1).replace("`", "").lower())
            out.add(title.replace(" ", "-"))
    return out


def problems(doc: Path, root: Path) -> list[str]:
    text = doc.read_text(encoding="utf-8")
    found = []
    for target in links(text):
        if target.startswith(WEB):
            continue
        path, _, anchor = target.partition("#")
        if re.match(r"^[a-z][a-z0-9+.-]*:", path) or path.startswith("/"):
            found.append(f"{target}: not a relative path or a web address")
            continue
        resolved = (doc.parent / path).resolve() if path else doc
        if not resolved.is_relative_to(root):
            found.append(f"{target}: outside the repository")
        elif not resolved.exists():
            found.append(f"{target}: no such file")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved.read_text(encoding="utf-8")):
            found.append(f"{target}: no heading #{anchor} in {resolved.relative_to(root)}")
    found += [f"cites {m.group(0)!r}: outside the repository" for m in OUTSIDE_TEXT.finditer(text)]
    return found


@pytest.mark.parametrize("doc", documents(ROOT), ids=lambda p: str(p.relative_to(ROOT)))
def test_links_resolve_inside_the_repository(doc: Path) -> None:
    assert problems(doc, ROOT) == []


def test_the_docs_have_links_to_check() -> None:
    # the checks above see the links: README and the design note link to several files each
    assert len(links((ROOT / "README.md").read_text(encoding="utf-8"))) >= 5
    assert len(links((ROOT / "docs" / "design.md").read_text(encoding="utf-8"))) >= 5


def test_a_link_out_of_the_repository_a_missing_file_and_a_missing_heading_are_found(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "model.md").write_text("# Model\n\n## The perf model (P1)\n", encoding="utf-8")
    doc = root / "README.md"
    doc.write_text(
        "See [design](../shared/DESIGN.md), [model](docs/model.md#the-perf-model-p1), [gone](docs/gone.md),\n"
        "[bad anchor](docs/model.md#nothing), [web](https://example.org/x) and `../shared/code-span` (code).\n"
        "From shared/reference/figures.csv.\n\n[ref]: /etc/passwd\n\n```\n[fenced](../outside.md)\n```\n",
        encoding="utf-8",
    )
    assert problems(doc, root) == [
        "../shared/DESIGN.md: outside the repository",
        "docs/gone.md: no such file",
        "docs/model.md#nothing: no heading #nothing in docs/model.md",
        "/etc/passwd: not a relative path or a web address",
        "cites '../shared/': outside the repository",
        "cites '../shared/': outside the repository",
        "cites 'shared/reference': outside the repository",
    ]
