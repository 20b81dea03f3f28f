"""CLI commands of the assessment: assess, explain, hypotheses, alerts, backtest, grade.

Registered on the main app by ``escwatch.cli`` (imported at its end)."""

from __future__ import annotations

import getpass
from datetime import date
from typing import Annotated, Any

import typer

from escwatch.cli import JsonOpt, State, _context, _emit, _store, app, out, run_stories
from escwatch.errors import ConfigError, EscwatchError

FromOpt = Annotated[str | None, typer.Option("--from", help="first day (YYYY-MM-DD) [default: first report]")]
ToOpt = Annotated[str | None, typer.Option("--to", help="last day (YYYY-MM-DD) [default: last report]")]
RegionOpt = Annotated[str | None, typer.Option(help="only observations with a place in this country (ISO alpha-2)")]
IndOpt = Annotated[list[str] | None, typer.Option("--indicator", help="only these indicators (repeatable)")]
StoryOpt = Annotated[str | None, typer.Option(help="only the observations of one story (id or prefix)")]
ThemeOpt = Annotated[str | None, typer.Option(help="only the indicators of a theme of the pack (hypotheses.yaml)")]


def _day(value: str | None, what: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{what}: {value!r} is not a date", hint="write it as YYYY-MM-DD") from None


def _indicators(pack: Any, indicators: list[str] | None, theme: str | None) -> frozenset[str] | None:
    chosen = set(indicators or ())
    if theme:
        themes = pack.hypotheses.get("themes") or {}
        if theme not in themes:
            raise ConfigError(f"no theme {theme!r} in the pack", hint=f"themes: {', '.join(sorted(themes)) or 'none'}")
        chosen |= set(themes[theme])
    unknown = chosen - set(pack.indicators)
    if unknown:
        raise ConfigError(f"unknown indicator(s): {', '.join(sorted(unknown))}",
                          hint=f"indicators: {', '.join(sorted(pack.indicators))}")
    return frozenset(chosen) or None


def _assessment(start: str | None = None, end: str | None = None, region: str | None = None,
                indicators: list[str] | None = None, save: bool = True, theme: str | None = None,
                story: str | None = None) -> Any:
    from escwatch.assess import assess
    from escwatch.assess.index import Scope
    from escwatch.assess.persist import overrides
    from escwatch.assess.persist import save as save_assessment

    run_stories(quiet=True)
    store, ctx = _store(), _context()
    scope = Scope(region.upper() if region else None, _indicators(ctx.pack, indicators, theme), story)
    a = assess(store, ctx.pack, _day(start, "--from"), _day(end, "--to"), scope,
               overrides(store, State.settings.extra))
    if not a.days:
        raise EscwatchError("nothing to assess: no report with an indicator and a date",
                            hint="ingest reports first (`escwatch ingest FILES` or `escwatch demo`)")
    if save:
        save_assessment(store, a)
    return a


@app.command()
def assess(start: FromOpt = None, end: ToOpt = None, region: RegionOpt = None, indicator: IndOpt = None,
           theme: ThemeOpt = None, story: StoryOpt = None, as_json: JsonOpt = False) -> None:
    """Assess the store: the escalation index per day, the leading hypothesis, new observations."""
    from escwatch.report.assessment import index_table

    a = _assessment(start, end, region, indicator, theme=theme, story=story)
    if as_json:
        _emit({"scope": a.scope.name, "hypotheses": a.model.labels, "days": [
            {"day": d.day.isoformat(), "index": d.index, "posteriors": d.posteriors, "leader": d.leader,
             "observations": len([o for o in d.observations if a.scope.covers(o)])} for d in a.days]})
        return
    out.print(index_table(a))
    last = a.days[-1]
    out.print(f"\non {last.day}: " + ", ".join(f"{a.model.labels[h]} {p:.0%}" for h, p in last.posteriors.items()))
    out.print("explain a day with `escwatch explain YYYY-MM-DD`; the matrix with `escwatch hypotheses`")


@app.command()
def explain(day: Annotated[str, typer.Argument(help="the day to explain (YYYY-MM-DD)")],
            region: RegionOpt = None, indicator: IndOpt = None, theme: ThemeOpt = None, story: StoryOpt = None,
            as_json: JsonOpt = False) -> None:
    """Why the index has its value on a day: every contribution down to reports and sentences."""
    from escwatch.report.assessment import day_json, explain_lines, print_lines

    a = _assessment(None, None, region, indicator, save=False, theme=theme, story=story)
    d = a.on(_day(day, "DAY") or date.min)
    if as_json:
        _emit(day_json(a, d))
    else:
        print_lines(out, explain_lines(a, d))


@app.command()
def hypotheses(day: Annotated[str | None, typer.Option("--date", help="day of the matrix [default: last]")] = None,
               region: RegionOpt = None, theme: ThemeOpt = None, story: StoryOpt = None,
               as_json: JsonOpt = False) -> None:
    """Competing hypotheses: probabilities, the ACH matrix with diagnosticity, what to watch for next."""
    from escwatch.assess.hypotheses import ach, discriminators
    from escwatch.report.assessment import ach_table, discriminator_lines, print_lines

    a = _assessment(None, None, region, None, save=False, theme=theme, story=story)
    d = a.on(_day(day, "--date")) if day else a.days[-1]
    obs = [o for o in d.observations if a.scope.covers(o)]
    rows, inconsistency = ach(a.model, obs, d.day)
    disc = discriminators(a.model, obs, d.day)
    if as_json:
        _emit({"day": d.day.isoformat(), "posteriors": d.posteriors, "inconsistency": inconsistency,
               "matrix": [{"observation": r.observation.id, "indicator": r.observation.indicator,
                           "story": r.observation.story_id, "grade": r.observation.grade,
                           "inside_routine_window": r.observation.inside, "likelihoods": r.likelihoods,
                           "marks": r.marks, "diagnosticity": r.diagnosticity} for r in rows],
               "discriminators": [vars(x) for x in disc]})
        return
    out.print(f"[bold]hypotheses on {d.day}[/] ({a.scope.name}): " +
              ", ".join(f"{a.model.labels[h]} {p:.0%}" for h, p in d.posteriors.items()))
    out.print(ach_table(a, rows, inconsistency))
    out.print("\nwhat would change the picture most if seen next:")
    print_lines(out, discriminator_lines(a, disc))


@app.command()
def alerts(since: Annotated[str | None, typer.Option(help="deliver only alerts from this day on")] = None,
           deliver: Annotated[bool, typer.Option("--deliver/--no-deliver", help="send to the channels")] = True,
           as_json: JsonOpt = False) -> None:
    """Raise the configured alerts on the current assessment, record new ones, deliver each once."""
    from escwatch.assess import alerts as al
    from escwatch.report.assessment import alert_lines, print_lines

    a = _assessment()
    store = _store()
    new = al.record(store, al.evaluate(a, al.rules_from(State.settings.extra)))
    sent = al.dispatch(store, al.channels_from(State.settings.extra), _day(since, "--since")) if deliver else []
    status = {k: ", ".join(f"{d['channel']}: {d['status']}" for d in v) for k, v in al.deliveries(store).items()}
    every = al.stored(store)
    if as_json:
        _emit({"new": [x.id for x in new], "deliveries": sent,
               "alerts": [{**x.as_dict(), "deliveries": status.get(x.id, "")} for x in every]})
        return
    for x in every:
        print_lines(out, alert_lines(x, status.get(x.id, "not delivered")))
    out.print(f"{len(every)} alerts ({len(new)} new); {sum(d['status'] == 'sent' for d in sent)} deliveries sent, "
              f"{sum(d['status'] == 'failed' for d in sent)} failed")


@app.command()
def backtest(start: FromOpt = None, end: ToOpt = None, region: RegionOpt = None,
             as_json: JsonOpt = False) -> None:
    """Replay the stored reports day by day: the index and the alerts it would have raised (none sent)."""
    from escwatch.assess import alerts as al
    from escwatch.report.assessment import alert_lines, index_table, print_lines

    a = _assessment(start, end, region, None, save=False)
    raised = al.evaluate(a, al.rules_from(State.settings.extra))
    if as_json:
        _emit({"days": [{"day": d.day.isoformat(), "index": d.index, "leader": d.leader} for d in a.days],
               "alerts": [x.as_dict() for x in raised]})
        return
    out.print(index_table(a))
    out.print(f"\n{len(raised)} alerts would have been raised:")
    for x in raised:
        print_lines(out, alert_lines(x))


@app.command()
def grade(source: Annotated[str, typer.Argument(help="outlet id or source name as shown by `escwatch story`")],
          reliability: Annotated[str, typer.Argument(help="Admiralty reliability A-F")],
          note: Annotated[str | None, typer.Option(help="why")] = None) -> None:
    """Override a source's reliability grade (recorded with who and when; used by every assessment)."""
    from escwatch.assess.grading import RELIABILITY
    from escwatch.assess.persist import set_grade

    if reliability.upper() not in RELIABILITY:
        raise ConfigError(f"{reliability!r} is not a reliability grade", hint="use one letter A-F")
    set_grade(_store(), source, reliability, getpass.getuser(), note)
    out.print(f"{source}: reliability {reliability.upper()} ({RELIABILITY[reliability.upper()]})")
