"""Bytes -> text, refusing binary data and guessing legacy encodings (cp1251, koi8-r, UTF-16)."""

from __future__ import annotations

import codecs

from escwatch.errors import BinaryInputError, EmptyInputError, EncodingError

BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def _texty(text: str) -> float:
    sample = text[:4000]
    return sum(1 for c in sample if c.isalpha() or c.isspace() or c in ".,;:!?'\"()-–—«»„“”") / max(1, len(sample))


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 without a BOM: decode both ways, keep the one that reads as text."""
    if len(data) < 4:
        return None
    best, score = None, 0.0
    for enc in ("utf-16-le", "utf-16-be"):
        try:
            text = data[: len(data) - len(data) % 2].decode(enc)
        except UnicodeDecodeError:
            continue
        if (sc := _texty(text)) > score:
            best, score = text, sc
    return best if score >= 0.85 else None


def decode(data: bytes, source: str) -> str:
    if not data.strip():
        raise EmptyInputError(f"{source}: empty file")
    for bom, enc in BOMS:
        if data.startswith(bom):
            return data.decode(enc, errors="strict")
    if b"\x00" in data[:8000]:
        if (text16 := _utf16_without_bom(data)) is not None:
            return text16
        raise BinaryInputError(f"{source}: binary data (NUL bytes)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(data[:200_000]).best()
        if best is None or best.encoding is None or best.percent_chaos > 20:
            raise EncodingError(f"{source}: not UTF-8 and no other encoding fits") from None
        text = data.decode(best.encoding, errors="replace")
    controls = sum(1 for c in text[:8000] if ord(c) < 32 and c not in "\n\r\t\f")
    if controls > max(8, len(text[:8000]) * 0.02):
        raise BinaryInputError(f"{source}: binary data (control characters)")
    return text
