"""HTML pages through trafilatura (title, date, author, body), with an lxml fallback.

An empty extraction is an error, never a successful empty report.
"""

from __future__ import annotations

from typing import Any

from escwatch.errors import EmptyExtractionError

MIN_CHARS = 40


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
