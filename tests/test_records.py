"""The records' quick ``__init__`` and ``replace`` behave as the dataclass ones they stand in for."""

import dataclasses
import inspect
import pickle
from datetime import UTC, datetime

import pytest

from escwatch import records
from escwatch.records import Claim, Mention, RawDoc, Report, replace

RECORDS = [RawDoc, records.Span, Mention, records.PlaceRef, records.DateRef, records.Quote, Claim,
           records.CitedSource, records.IndicatorHit, Report, records.ErrorRecord]


@pytest.mark.parametrize("cls", RECORDS, ids=lambda c: c.__name__)
def test_init_takes_the_fields_in_order_with_their_defaults(cls: type) -> None:
    params = list(inspect.signature(cls).parameters.values())
    flds = dataclasses.fields(cls)
    assert [p.name for p in params] == [f.name for f in flds]
    for p, f in zip(params, flds, strict=True):
        if f.default is not dataclasses.MISSING:
            assert p.default is f.default
        elif f.default_factory is dataclasses.MISSING:
            assert p.default is inspect.Parameter.empty


def test_positional_and_keyword_construction_agree_and_defaults_apply() -> None:
    a = Mention("Poetin", 0, 6, "putin", "Vladimir Putin", "person")
    b = Mention(type="person", name="Vladimir Putin", entity_id="putin", end=6, start=0, text="Poetin")
    assert a == b and hash(a) == hash(b)
    assert a.wikidata is None and a.description is None
    assert Claim("x", 0, 1, "reported", cue="zou").cue == "zou"


def test_a_default_factory_gives_each_record_its_own_value() -> None:
    first, second = RawDoc("a", "txt", "text"), RawDoc("b", "txt", "text")
    assert first.meta == {} and first.meta is not second.meta
    given = {"title": "T"}
    assert RawDoc("c", "txt", "text", given).meta is given


def test_bad_arguments_and_assignments_still_fail() -> None:
    with pytest.raises(TypeError, match="missing"):
        Mention("Poetin", 0)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unexpected keyword"):
        Mention("Poetin", 0, 6, "putin", "Vladimir Putin", "person", bogus=1)  # type: ignore[call-arg]
    m = Mention("Poetin", 0, 6, "putin", "Vladimir Putin", "person")
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.text = "Putin"  # type: ignore[misc]


def test_replace_equals_the_dataclass_replace() -> None:
    rep = Report("id", "src", "raw", "text", title="T", published=datetime(2022, 10, 5, tzinfo=UTC),
                 mentions=(Mention("Poetin", 0, 6, "putin", "Vladimir Putin", "person"),))
    for changes in ({}, {"language": "nl"}, {"text": "other", "story": "s1", "title": None}):
        got = replace(rep, **changes)
        assert got == dataclasses.replace(rep, **changes)
        assert type(got) is Report
    assert rep.language is None  # the original is untouched
    with pytest.raises(TypeError, match="unexpected keyword argument 'langauge'"):
        replace(rep, langauge="nl")


def test_records_survive_pickling() -> None:
    rep = Report("id", "src", "raw", "text", claims=(Claim("x", 0, 1, "hedged", "Muzyka", "might"),))
    assert pickle.loads(pickle.dumps(rep)) == rep
