"""escwatch — Escalation Watch: nuclear signalling in open sources, explained.

    import escwatch
    wb = escwatch.open("escwatch.db")     # records and pandas DataFrames of a store
    rep = escwatch.analyse("...")         # one text, no store
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("escwatch")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "dev"

__all__ = ["Assessment", "Observation", "Report", "Workbench", "__version__", "analyse", "open"]

_LAZY = {"open": "escwatch.api", "Workbench": "escwatch.api",
         "Report": "escwatch.records", "Assessment": "escwatch.assess", "Observation": "escwatch.assess"}


# The subpackage escwatch.analyse (the stages) is loaded first, so that the name ``escwatch.analyse``
# stays the function below: later imports of its modules go through sys.modules, not this attribute.
import escwatch.analyse as _stages  # noqa: E402,F401


def analyse(text: str, **meta: Any) -> Any:
    """Analyse one text without a store (see ``escwatch.api.analyse``): a Report."""
    from escwatch.api import analyse as run

    return run(text, **meta)


def __getattr__(name: str) -> Any:  # the API loads on first use: `import escwatch` stays instant
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'escwatch' has no attribute {name!r}")
