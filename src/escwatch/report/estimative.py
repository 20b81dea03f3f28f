"""Estimative language (US ICD 203 scale): a probability said in words, with the range behind each word."""

from __future__ import annotations

SCALE: tuple[tuple[float, float, str], ...] = (
    (0.00, 0.05, "almost no chance"),
    (0.05, 0.20, "very unlikely"),
    (0.20, 0.45, "unlikely"),
    (0.45, 0.55, "roughly even chance"),
    (0.55, 0.80, "likely"),
    (0.80, 0.95, "very likely"),
    (0.95, 1.01, "almost certain"),
)
MISP_TAGS = {  # MISP's estimative-language taxonomy, likelihood-probability predicate
    "almost no chance": "almost-no-chance", "very unlikely": "very-unlikely", "unlikely": "unlikely",
    "roughly even chance": "roughly-even-chance", "likely": "likely", "very likely": "very-likely",
    "almost certain": "almost-certain",
}


def words(p: float) -> str:
    """The estimative phrase for a probability ("likely" for 0.55–0.80)."""
    return next(w for lo, hi, w in SCALE if lo <= p < hi)


def with_range(p: float) -> str:
    lo, hi, w = next(x for x in SCALE if x[0] <= p < x[1])
    return f"{w} ({lo:.0%}–{min(hi, 0.99):.0%})"
