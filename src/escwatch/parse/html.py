"""HTML pages through trafilatura (title, date, author, body), with an lxml fallback.

An empty extraction is an error, never a successful empty report.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from escwatch.errors import EmptyExtractionError

MIN_CHARS = 40
BLOCKS = frozenset({"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "blockquote", "section",
                    "article", "pre"})
HIDDEN = frozenset({"script", "style", "noscript", "template", "head", "title", "nav", "footer", "header", "svg"})


def extract_html(html: str, url: str | None = None) -> dict[str, Any]:
    import trafilatura

    doc = None
    try:
        doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False,
                                          favor_precision=True)
    except (ValueError, TypeError, RecursionError):
        doc = None
    data: dict[str, Any] = {}
    if doc is not None:
        data = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    text = (data.get("text") or "").strip()
    if len(text) < MIN_CHARS:
        text = _fallback(html)
    if len(text) < MIN_CHARS:
        text = _flat_text(html)
    if len(text) < MIN_CHARS:
        raise EmptyExtractionError("no article text could be extracted from the HTML")
    return {"text": text, "title": data.get("title"), "published": data.get("date"), "author": data.get("author"),
            "url": data.get("url") or url, "outlet": data.get("sitename"), "language": data.get("language")}


def _fallback(html: str) -> str:
    """Paragraph text via lxml for pages trafilatura returns empty (e.g. very deep nesting)."""
    from lxml import etree
    from lxml import html as lhtml

    try:
        parser = lhtml.HTMLParser(huge_tree=False, recover=True)
        root = lhtml.fromstring(html.encode("utf-8", "replace"), parser=parser)
    except (etree.ParserError, ValueError):
        return ""
    for bad in root.xpath("//script|//style|//nav|//footer|//header"):
        bad.drop_tree()
    paras = [" ".join(p.text_content().split()) for p in root.xpath("//p|//h1|//h2|//li")]
    return "\n\n".join(p for p in paras if p)


class _Flat(HTMLParser):
    """Visible text of a page as a flat token stream: no tree, so any nesting depth costs nothing."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.hidden += tag in HIDDEN
        if tag in BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        self.hidden -= tag in HIDDEN and self.hidden > 0
        if tag in BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def _flat_text(html: str) -> str:
    """Last resort for pages lxml cannot build a tree of (nesting beyond its depth limit)."""
    flat = _Flat()
    flat.feed(html)
    flat.close()
    lines = (" ".join(line.split()) for line in "".join(flat.parts).split("\n"))
    return "\n\n".join(line for line in lines if line)
