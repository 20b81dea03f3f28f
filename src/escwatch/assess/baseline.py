"""Baselines: does an observation fall inside a window where routine activity produces such reports?

The pack's calendar lists recurring exercises and training seasons (a yearly MM-DD window, the
indicators each can explain) and their known past dates; a match is reported in words the analyst
can check ("inside the usual Grom window, 10 Oct – 31 Oct")."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

NEAR_PAST_DAYS = 7  # a known past occurrence this close to the observation counts as a dated match
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@dataclass(frozen=True)
class BaselineMatch:
    entry: str  # calendar id
    name: str
    window: str  # "10 Oct – 31 Oct"
    known_date: str | None  # a listed past occurrence within NEAR_PAST_DAYS, if any
    description: str

    @property
    def words(self) -> str:
        dated = f"; held on {self.known_date} that year" if self.known_date else ""
        return f"inside the usual {self.name} window ({self.window}){dated}: {self.description}"


def _md(value: str) -> tuple[int, int]:
    month, day = value.split("-")
    return int(month), int(day)


def _label(value: str) -> str:
    m, d = _md(value)
    return f"{d} {MONTHS[m - 1]}"


def in_window(day: date, window: Mapping[str, str]) -> bool:
    """Whether a day falls in a yearly MM-DD window (a window may wrap over the new year)."""
    lo, hi, md = _md(window["from"]), _md(window["to"]), (day.month, day.day)
    return lo <= md <= hi if lo <= hi else (md >= lo or md <= hi)


def _near_past(day: date, past: Iterable[Mapping[str, str]]) -> str | None:
    for occ in past or ():
        a, b = date.fromisoformat(occ["from"]), date.fromisoformat(occ["to"])
        if a - timedelta(days=NEAR_PAST_DAYS) <= day <= b + timedelta(days=NEAR_PAST_DAYS):
            return occ["from"] if a == b else f"{occ['from']} – {occ['to']}"
    return None


def matches(day: date, indicator: str, calendar: Iterable[Mapping[str, Any]]) -> list[BaselineMatch]:
    """Calendar entries whose window (or a known date or notified period) covers ``day`` and that can
    explain ``indicator``; dated matches first."""
    out = []
    for entry in calendar:
        if indicator not in (entry.get("indicators") or ()):
            continue
        known = _near_past(day, entry.get("past") or ())
        notified = _near_past(day, entry.get("notified") or ())  # one-off exercises announced in advance
        window = entry.get("window")
        if not (known or notified or (window and in_window(day, window))):
            continue
        span = f"{_label(window['from'])} – {_label(window['to'])}" if window else "notified dates"
        out.append(BaselineMatch(str(entry["id"]), str(entry.get("name") or entry["id"]), span,
                                 known or notified, str(entry.get("description") or "").strip()))
    return sorted(out, key=lambda m: (m.known_date is None, m.entry))


def describe(day: date, indicator: str, found: list[BaselineMatch]) -> str:
    """One sentence for the assessment: inside which routine windows, or outside all of them."""
    if not found:
        return f"outside every routine window the calendar lists for {indicator.replace('_', ' ')}"
    return "; ".join(m.words for m in found[:2]) + (f" (+{len(found) - 2} more)" if len(found) > 2 else "")
