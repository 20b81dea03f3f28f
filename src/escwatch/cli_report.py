"""CLI of briefings and plots: ``escwatch brief`` and ``escwatch plot``.

Registered on the main app by ``escwatch.cli`` (imported at its end)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from escwatch.cli import State, _context, _store, app, console
from escwatch.cli_assess import FromOpt, ToOpt, _day
from escwatch.errors import ConfigError


@app.command()
def brief(start: FromOpt = None, end: ToOpt = None,
          fmt: Annotated[str, typer.Option("--format", help="md | html | pdf")] = "md",
          output: Annotated[Path | None, typer.Option("-o", "--output", help="file [default: stdout; pdf needs -o]")
                            ] = None,
          since: Annotated[str | None, typer.Option(help="what is new counts from this day [default: the last "
                                                         "briefing's end]")] = None) -> None:
    """A briefing a desk could send out, as Markdown, self-contained HTML or PDF.

    Key judgements in estimative language, charts, map, top stories with their independent origins and
    grades, what is new since the last briefing, what to watch for, sources with links."""
    from escwatch.assess.persist import overrides
    from escwatch.report import brief as b

    if fmt not in ("md", "html", "pdf"):
        raise ConfigError(f"unknown briefing format {fmt!r}", hint="md | html | pdf")
    if fmt == "pdf" and output is None:
        raise ConfigError("a PDF briefing needs a file", hint="add -o brief.pdf")
    store, ctx = _store(), _context()
    last = b.last_briefing(store)
    made = b.build(store, ctx.pack, _day(start, "--from"), _day(end, "--to"), _day(since, "--since") or last,
                   overrides(store, State.settings.extra))
    if output:
        b.write(made, fmt, output)
        console.print(f"briefing {made.start} – {made.end} written to {output}")
    else:
        sys.stdout.write(b.render_md(made) if fmt == "md" else b.render_html(b.with_charts(made)))
    b.record_briefing(store, made, fmt)


@app.command()
def plot(what: Annotated[str, typer.Argument(help="index | hypotheses | timeline | map")],
         output: Annotated[Path, typer.Option("-o", "--output", help="image file: .png, .svg or .pdf")],
         start: FromOpt = None, end: ToOpt = None) -> None:
    """Plot the escalation index, the hypotheses over time, the story timeline or the map."""
    from escwatch.assess import assess
    from escwatch.assess.persist import overrides
    from escwatch.report import plots

    if what not in plots.FIGURES:
        raise ConfigError(f"no plot {what!r}", hint=" | ".join(plots.FIGURES))
    store, ctx = _store(), _context()
    a = assess(store, ctx.pack, _day(start, "--from"), _day(end, "--to"), overrides=overrides(store,
                                                                                             State.settings.extra))
    if not a.days:
        raise ConfigError("nothing to plot: no dated report with an indicator", hint="ingest reports first")
    plots.save(plots.FIGURES[what](a), output)
    console.print(f"{what} plot written to {output}")
