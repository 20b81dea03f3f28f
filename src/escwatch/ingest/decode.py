"""Bytes -> text, refusing binary data and guessing legacy encodings (cp1251, koi8-r, UTF-16).

A UTF-8 file with a few broken bytes stays UTF-8 (each bad byte becomes U+FFFD); a few stray NUL bytes
in a text file are dropped; many NUL or control bytes mean binary data (E102).
"""

from __future__ import annotations

import codecs
import re

from escwatch.errors import BinaryInputError, EmptyInputError, EncodingError

BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
SAMPLE = 8000
MAX_STRAY_NULS = 8  # more NUL bytes than this in the first SAMPLE bytes (and not UTF-16): binary
UTF8_MULTI = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")
SURROGATE = re.compile("[\ud800-\udfff]")
MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"%PDF-", b"PK\x03\x04", b"\x1f\x8b", b"BZh9", b"\xfd7zXZ",
         b"7z\xbc\xaf", b"Rar!", b"\x7fELF", b"\x28\xb5\x2f\xfd", b"SQLite format 3")
CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def scrub(text: str) -> str:
    """Text that every store accepts: NUL characters dropped, lone surrogates (from JSON) as U+FFFD."""
    text = text.replace("\x00", "")
    return SURROGATE.sub("\ufffd", text) if SURROGATE.search(text) else text


def _texty(text: str) -> float:
    sample = text[:4000]
    return sum(1 for c in sample if c.isalpha() or c.isspace() or c in ".,;:!?'\"()-–—«»„“”") / max(1, len(sample))


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 without a BOM: its NULs (high bytes of Latin letters, spaces) fall on one byte parity."""
    sample = data[:SAMPLE]
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if len(data) < 4 or max(even, odd) < len(sample) // 40 or min(even, odd) * 10 > max(even, odd):
        return None
    try:
        text = data[: len(data) - len(data) % 2].decode("utf-16-le" if odd > even else "utf-16-be")
    except UnicodeDecodeError:
        return None
    return text if _texty(text) >= 0.85 else None


def _mostly_utf8(data: bytes) -> str | None:
    """UTF-8 with a few broken bytes: valid multi-byte sequences outnumber the bad bytes 20 to 1."""
    sample = data[:200_000]
    multi = sum(1 for _ in UTF8_MULTI.finditer(sample))
    bad = sample.decode("utf-8", errors="replace").count("\ufffd")
    return data.decode("utf-8", errors="replace") if multi >= 8 and bad * 20 <= multi else None


def _legacy(data: bytes, source: str) -> str:
    from charset_normalizer import from_bytes

    sample = data[:SAMPLE]
    if len(CONTROL_BYTES.findall(sample)) > max(8, len(sample) * 0.02):
        raise BinaryInputError(f"{source}: binary data (control bytes, not text in any encoding)")

    best = from_bytes(data[:200_000]).best()
    if best is None or best.encoding is None or best.percent_chaos > 20:
        raise EncodingError(f"{source}: not UTF-8 and no other encoding fits")
    return data.decode(best.encoding, errors="replace")


def decode(data: bytes, source: str) -> str:
    if not data.strip():
        raise EmptyInputError(f"{source}: empty file")
    if data.startswith(MAGIC):
        raise BinaryInputError(f"{source}: binary data (a {data[:4]!r}... file signature)")
    for bom, enc in BOMS:
        if data.startswith(bom):
            try:
                return scrub(data.decode(enc, errors="strict"))
            except UnicodeDecodeError:
                raise EncodingError(f"{source}: starts with a {enc.upper()} byte-order mark but is not {enc.upper()}"
                                    ) from None
    if b"\x00" in data[:SAMPLE]:
        if (text16 := _utf16_without_bom(data)) is not None:
            return scrub(text16)
        if data[:SAMPLE].count(0) > MAX_STRAY_NULS:
            raise BinaryInputError(f"{source}: binary data (NUL bytes)")
    data = data.replace(b"\x00", b"")
    if not data.strip():
        raise EmptyInputError(f"{source}: empty file (only NUL bytes and spaces)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = _mostly_utf8(data) or _legacy(data, source)
    controls = sum(1 for c in text[:SAMPLE] if ord(c) < 32 and c not in "\n\r\t\f")
    if controls > max(8, len(text[:SAMPLE]) * 0.02):
        raise BinaryInputError(f"{source}: binary data (control characters)")
    return scrub(text)
