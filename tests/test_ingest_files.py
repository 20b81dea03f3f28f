from pathlib import Path

import pytest

from escwatch.errors import BinaryInputError, EmptyInputError, EncodingError
from escwatch.ingest.decode import decode
from escwatch.ingest.files import expand, read_file
from escwatch.records import ErrorRecord, RawDoc

RU = "Министерство обороны России сообщило о начале учений стратегических ядерных сил."


@pytest.mark.parametrize("enc", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1251", "koi8-r"])
def test_decodes_common_encodings(enc: str) -> None:
    assert decode((RU * 3).encode(enc), "x") == RU * 3


def test_refuses_binary_and_empty() -> None:
    with pytest.raises(BinaryInputError):
        decode(bytes(range(256)) * 10, "x")
    with pytest.raises(EmptyInputError):
        decode(b"  \n\t ", "x")


def test_undecodable_bytes() -> None:
    with pytest.raises((EncodingError, BinaryInputError)):
        decode(bytes([0x80, 0x81, 0xFE, 0xFF, 0x90]) * 50 + b"\x01\x02\x03" * 40, "x")


def test_jsonl_lines_become_docs_and_errors(tmp_path: Path) -> None:
    f = tmp_path / "r.jsonl"
    f.write_text('{"text": "one report", "title": "T", "published": "2022-10-01"}\n'
                 "{not json\n"
                 '{"text": 42}\n'
                 '["a list"]\n'
                 '{"text": "two", "url": "https://example.test/2"}\n', encoding="utf-8")
    items = list(read_file(f))
    docs = [i for i in items if isinstance(i, RawDoc)]
    errs = [i for i in items if isinstance(i, ErrorRecord)]
    assert [d.content for d in docs] == ["one report", "two"]
    assert docs[0].meta["title"] == "T"
    assert docs[1].source == "https://example.test/2"
    assert [e.code for e in errs] == ["E104", "E107", "E107"]
    assert errs[0].source.endswith("r.jsonl:2")


def test_json_array_file(tmp_path: Path) -> None:
    f = tmp_path / "a.json"
    f.write_text('[{"text": "a"}, {"text": "b"}]', encoding="utf-8")
    assert [d.content for d in read_file(f)] == ["a", "b"]  # type: ignore[union-attr]


def test_folder_expansion_skips_unknown_types(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x")
    (tmp_path / "b.pdf").write_bytes(b"%PDF")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.html").write_text("<p>x</p>")
    assert [p.name for p in expand([tmp_path])] == ["a.txt", "c.html"]


def test_unsupported_and_too_large(tmp_path: Path) -> None:
    f = tmp_path / "x.pdf"
    f.write_bytes(b"%PDF-1.4")
    assert next(read_file(f)).code == "E105"  # type: ignore[union-attr]
    g = tmp_path / "big.txt"
    g.write_text("a" * 2000)
    assert next(read_file(g, max_bytes=1000)).code == "E108"  # type: ignore[union-attr]


def test_a_json_lines_file_of_only_blank_space_is_an_error(tmp_path: Path) -> None:
    """Found by hypothesis: a .jsonl holding only a no-break space gave no document and no error."""
    from escwatch.ingest.files import read_file
    from escwatch.records import ErrorRecord

    f = tmp_path / "blank.jsonl"
    f.write_text("\u00a0\n  \n", encoding="utf-8")
    out = list(read_file(f))
    assert len(out) == 1 and isinstance(out[0], ErrorRecord) and out[0].code == "E101"
