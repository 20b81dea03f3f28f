"""Provenance: who each report says it rests on, and how many independent origins stand behind a story.

Edges: report -> cited source (``cites``), report -> the original it copies (``copy_of``), report ->
channel it forwards (``forwarded_from``), cited outlet -> the story's own report from that outlet
(``published``: "according to The Times" leads to The Times's report, which has its own sources),
and for a report that names no source, report -> the speakers it quotes directly (``quotes``: ten
outlets quoting one speech rest on one speaker).
The origins are the nodes the attribution chains end in: sources with no further attribution, and
reports that cite nothing. Copies, re-writes citing the same source and outlets of one owner add no
independence: origins are counted by owner.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from escwatch.packs import Pack
from escwatch.records import Report


@dataclass
class Graph:
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    edges: list[tuple[str, str, str, str]] = field(default_factory=list)  # (src, dst, kind, report id)

    def node(self, nid: str, **attrs: Any) -> str:
        self.nodes.setdefault(nid, {}).update(attrs)
        return nid

    def out(self) -> dict[str, list[tuple[str, str]]]:
        adj: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for s, d, kind, _ in self.edges:
            adj[s].append((d, kind))
        return adj


def outlet_id(name: str | None, pack: Pack) -> str | None:
    if not name:
        return None
    low = name.casefold()
    for ent in pack.outlets.values():
        if low == ent.name.casefold() or any(low == a.casefold() for a in ent.all_aliases()):
            return ent.id
    return None


def source_node(name: str, outlet_id: str | None, pack: Pack) -> tuple[str, dict[str, Any]]:
    if outlet_id and outlet_id in pack.entities:
        ent = pack.entities[outlet_id]
        return f"outlet:{outlet_id}", {"label": ent.name, "kind": "outlet",
                                       "owner": ent.extra.get("owner") or ent.name}
    return f"source:{name.casefold()}", {"label": name, "kind": "source", "owner": name}


def build(members: list[Report], copies: dict[str, str | None], pack: Pack) -> Graph:
    """The provenance graph of one story's members (in publication order)."""
    g = Graph()
    by_outlet: dict[str, list[Report]] = defaultdict(list)
    outlet_of: dict[str, str | None] = {}
    for r in members:
        oid = outlet_id(r.outlet, pack)
        outlet_of[r.id] = oid
        owner = pack.entities[oid].extra.get("owner") if oid else None
        g.node(f"report:{r.id}", label=f"{r.outlet or r.source} ({r.language or '?'}, "
               f"{r.published.date() if r.published else 'undated'})", kind="report",
               owner=owner or r.outlet or f"report:{r.id}", published=r.published.isoformat() if r.published else None)
        if oid:
            by_outlet[f"outlet:{oid}"].append(r)
    for r in members:
        rid = f"report:{r.id}"
        if copies.get(r.id):
            g.edges.append((rid, f"report:{copies[r.id]}", "copy_of", r.id))
        if r.forwarded_from:  # a forwarded channel post rests on the channel it came from
            nid, attrs = source_node(r.forwarded_from, outlet_id(r.forwarded_from, pack), pack)
            g.node(nid, **attrs)
            g.edges.append((rid, nid, "forwarded_from", r.id))
        cited = bool(r.forwarded_from)
        for c in r.cited_sources:
            if c.via == "said":  # a speaker quoted in the report is not what the report rests on
                continue
            nid, attrs = source_node(c.name, c.outlet_id, pack)
            if outlet_of.get(r.id) and nid == f"outlet:{outlet_of[r.id]}":
                continue  # an outlet naming itself is not a citation
            g.node(nid, **attrs)
            g.edges.append((rid, nid, "cites", r.id))
            cited = True
        if not cited and not copies.get(r.id):
            # a report that names no source rests on the public statements it quotes (a speech, a
            # briefing): those speakers are its origins, not the outlet that was in the room
            for speaker in dict.fromkeys(q.speaker for q in r.quotes if q.kind == "direct" and q.speaker):
                nid = g.node(f"source:{speaker.casefold()}", label=speaker, kind="speaker", owner=speaker)
                g.edges.append((rid, nid, "quotes", r.id))
    for nid, reps in by_outlet.items():  # a cited outlet leads to its own report in the story
        if nid in g.nodes:
            for r in reps:
                g.edges.append((nid, f"report:{r.id}", "published", r.id))
    return g


def _ends(adj: dict[str, list[tuple[str, str]]], start: str) -> tuple[list[str], set[str]]:
    """Nodes where attribution chains from ``start`` end, and every node visited."""
    stack, seen, ends = [start], set(), []
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        nxt = [d for d, _ in adj.get(n, []) if d not in seen]
        if not nxt and not any(d in seen for d, _ in adj.get(n, [])):
            ends.append(n)
        stack.extend(nxt)
    return ends, seen


def origins_from(g: Graph, starts: list[str]) -> list[dict[str, Any]]:
    """The origins behind some nodes (reports or sources): where their attribution chains end; a node in a
    citation loop with no end stands for itself."""
    adj = g.out()
    found: dict[str, None] = {}
    for start in starts:
        ends, seen = _ends(adj, start)
        found.update(dict.fromkeys(ends))
        if not ends and not any(n in found for n in seen):
            found.setdefault(start)
    return [{"node": n, "label": g.nodes.get(n, {}).get("label", n), "owner": g.nodes.get(n, {}).get("owner", n)}
            for n in found]


def origins(g: Graph, members: list[Report]) -> list[dict[str, Any]]:
    """Nodes where attribution chains end, reached from the story's members."""
    return origins_from(g, [f"report:{r.id}" for r in members])


def independent(origin_list: list[dict[str, Any]]) -> int:
    return len({o["owner"] for o in origin_list})


def tree_lines(g: Graph, members: list[Report]) -> list[str]:
    """The attribution tree as terminal lines: each report, then what it rests on, indented."""
    adj = g.out()
    lines: list[str] = []
    shown: set[str] = set()  # nodes whose own sources were already drawn

    def walk(n: str, depth: int, seen: set[str]) -> None:
        for d, kind in adj.get(n, []):
            label = g.nodes.get(d, {}).get("label", d)
            again = d in shown and adj.get(d)
            lines.append(f"{'   ' * depth}└─ {kind} → {label}" + ("  (sources above)" if again else ""))
            if not again and d not in seen and depth < 6:
                shown.add(d)
                walk(d, depth + 1, seen | {d})

    for r in members:
        n = f"report:{r.id}"
        lines.append(f"● {g.nodes[n]['label']}  [{r.id[:10]}]")
        walk(n, 1, {n})
    return lines


def to_dot(g: Graph, name: str = "provenance") -> str:
    out = [f'digraph "{name}" {{', "  rankdir=LR;"]
    for nid, attrs in g.nodes.items():
        shape = "box" if attrs.get("kind") == "report" else "ellipse"
        label = str(attrs.get("label", nid)).replace('"', "'")
        out.append(f'  "{nid}" [label="{label}", shape={shape}];')
    for s, d, kind, _ in g.edges:
        out.append(f'  "{s}" -> "{d}" [label="{kind}"];')
    out.append("}")
    return "\n".join(out) + "\n"
