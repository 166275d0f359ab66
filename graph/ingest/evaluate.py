"""Ingestion measured against hand-annotated articles (``make eval``).

An annotated article is two files: ``NAME.txt`` (the text as pasted, boilerplate and all) and
``NAME.json`` (format ``geokg-eval/1``: its entities with every surface string that refers to
them, its events with the quote and trigger that state them, and its boilerplate lines; see
``evaluation/README.md``). The article is read by :func:`graph.ingest.read_article` against
the seed graph, as ``POST /ingest`` would read it on a fresh service, and the proposals are
compared with the annotation:

- **entities**: an annotated entity named only in boilerplate (a byline's journalist) is left
  out, since nothing may be proposed from there; any other is found when a proposed entity
  (new, or a link to one the graph holds) of the same kind quotes one of its mentions (spans
  overlap); a proposed entity is right when it quotes a mention of an annotated entity of its
  kind;
- **events**: an annotated event is found when a proposed event's quote overlaps its trigger
  (one proposal per annotation: one of the annotated kind first, then the shortest quote); a
  proposed event is right when it finds one;
- on the events found: CAMEO root code (two digits; no code counts when both have none),
  actor and target (the annotated entity the proposed role points to), date, modality;
- **quotes exact**: every proposed quote is the slice of the text at its offsets;
- **boilerplate**: proposals quoting only boilerplate lines (must be none).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graph.ingest.pipeline import read_article
from graph.ingest.proposals import ProposalItem, ProposalSet
from graph.store import GraphStore

__all__ = ["ArticleScore", "EvalFileError", "load_article", "main", "score_article"]

FORMAT = "geokg-eval/1"


class EvalFileError(ValueError):
    """An annotation file is malformed: names the file, the JSON path and the problem."""


@dataclass
class Annotated:
    """One annotated article."""

    name: str
    text: str
    published: dt.date
    title: str
    entities: list[dict[str, Any]]
    events: list[dict[str, Any]]
    boilerplate: list[tuple[int, int]]
    mention_spans: dict[str, list[tuple[int, int]]]
    event_spans: dict[str, tuple[tuple[int, int], tuple[int, int]]]
    """event id -> (quote span, trigger span)."""


@dataclass
class Ratio:
    """A count of hits over a count of tries."""

    hit: int = 0
    of: int = 0

    def add(self, ok: bool) -> None:
        self.hit += int(ok)
        self.of += 1

    def __iadd__(self, other: Ratio) -> Ratio:
        self.hit += other.hit
        self.of += other.of
        return self

    def value(self) -> float | None:
        return self.hit / self.of if self.of else None

    def show(self) -> str:
        v = self.value()
        return "   -  " if v is None else f"{100 * v:5.1f}%"


METRICS = (
    ("entity_recall", "entities found (right kind)"),
    ("entity_recall_named", "named entities found (right kind)"),
    ("entity_precision", "proposed entities right"),
    ("event_recall", "events found"),
    ("event_precision", "proposed events right"),
    ("cameo_root", "CAMEO root right (events found)"),
    ("actor", "actor right (events found)"),
    ("target", "target right (events found)"),
    ("date", "date right (events found)"),
    ("modality", "modality right (events found)"),
    ("quotes_exact", "quotes exact"),
    ("not_boilerplate", "proposals not from boilerplate"),
)


@dataclass
class ArticleScore:
    """The figures of one article (or of several, added up)."""

    name: str
    ratios: dict[str, Ratio] = field(default_factory=lambda: {k: Ratio() for k, _ in METRICS})
    ms: float = 0.0
    misses: list[str] = field(default_factory=list)

    def __iadd__(self, other: ArticleScore) -> ArticleScore:
        for key, ratio in other.ratios.items():
            self.ratios[key] += ratio
        self.ms += other.ms
        return self


def _occurrences(text: str, needle: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(re.escape(needle), text)]


def load_article(json_path: Path) -> Annotated:
    """Read and check one annotated article (raises :class:`EvalFileError`)."""

    def fail(where: str, reason: str) -> EvalFileError:
        return EvalFileError(f"{json_path}: {where}: {reason}")

    try:
        doc = json.loads(json_path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise fail("$", f"cannot read: {exc}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise fail("$.format", f"must be {FORMAT!r}")
    text_path = json_path.with_suffix(".txt")
    try:
        text = text_path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise fail("$", f"cannot read its text {text_path.name}: {exc}") from None
    try:
        published = dt.date.fromisoformat(doc["published"])
    except (KeyError, TypeError, ValueError):
        raise fail("$.published", "must be a date YYYY-MM-DD") from None
    boiler: list[tuple[int, int]] = []
    for n, line in enumerate(doc.get("boilerplate", [])):
        spans = _occurrences(text, line)
        if not spans:
            raise fail(f"$.boilerplate[{n}]", f"{line[:60]!r} is not in the text")
        boiler += spans
    mention_spans: dict[str, list[tuple[int, int]]] = {}
    for n, entity in enumerate(doc.get("entities", [])):
        spans = []
        for m, mention in enumerate(entity.get("mentions", [])):
            found = [
                s for s in _occurrences(text, mention) if not any(_overlap(s, b) for b in boiler)
            ]
            if not found and not _occurrences(text, mention):
                raise fail(f"$.entities[{n}].mentions[{m}]", f"{mention!r} is not in the text")
            spans += found
        mention_spans[entity["id"]] = spans
    event_spans = {}
    for n, event in enumerate(doc.get("events", [])):
        quotes = _occurrences(text, event["quote"])
        if len(quotes) != 1:
            raise fail(f"$.events[{n}].quote", f"occurs {len(quotes)} times; it must occur once")
        q = quotes[0]
        at = text.find(event["trigger"], q[0], q[1])
        if at < 0:
            raise fail(f"$.events[{n}].trigger", f"{event['trigger']!r} is not inside the quote")
        event_spans[event["id"]] = (q, (at, at + len(event["trigger"])))
    return Annotated(
        name=json_path.stem,
        text=text,
        published=published,
        title=doc.get("title", json_path.stem),
        entities=doc.get("entities", []),
        events=doc.get("events", []),
        boilerplate=boiler,
        mention_spans=mention_spans,
        event_spans=event_spans,
    )


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _entity_kind(item: ProposalItem, store: GraphStore | None) -> str:
    if item.action == "add_evidence" and store is not None and item.existing:
        return str(store.entity(item.existing).kind)
    return str(item.record.get("kind"))


def _entity_id(item: ProposalItem) -> str:
    return item.existing or str(item.record.get("id"))


def _role(item: ProposalItem, role: str, store: GraphStore | None) -> str | None:
    if item.action == "add_evidence":
        if store is None or item.existing is None:
            return None
        found = [e.target for e in store.out_edges(item.existing) if e.type == role]
        return found[0] if found else None
    found = [r["target"] for r in item.roles if r["type"] == role]
    return found[0] if found else None


def _event_value(item: ProposalItem, key: str, store: GraphStore | None) -> Any:
    if item.action == "add_evidence":
        if store is None or item.existing is None:
            return None
        record = store.event(item.existing).model_dump(mode="json")
    else:
        record = item.record
    if key == "cameo":
        cameo = record.get("cameo")
        return cameo["code"][:2] if cameo else None
    if key == "date":
        return record["date"].get("value")
    return record.get(key)


def score_article(article: Annotated, store: GraphStore | None) -> ArticleScore:
    """Read the article and score the proposals against its annotation."""
    started = time.perf_counter()
    found: ProposalSet = read_article(
        article.text,
        ingest_id="eval",
        title=article.title,
        published=article.published,
        url=None,
        source="eval-source",
        actor="eval",
        store=store,
        taken=(lambda i: i in store) if store is not None else (lambda _: False),
    )
    score = ArticleScore(article.name, ms=(time.perf_counter() - started) * 1000)
    r = score.ratios
    text = article.text
    for item in found.items:
        r["quotes_exact"].add(all(text[s.start : s.end] == s.quote for s in item.evidence))
        r["not_boilerplate"].add(
            not all(
                any(_overlap((s.start, s.end), b) for b in article.boilerplate)
                for s in item.evidence
            )
        )
    # entities
    proposed = [i for i in found.items if i.type == "entity"]
    kinds = {e["id"]: e["kind"] for e in article.entities}
    to_annotated: dict[str, set[str]] = {}
    for item in proposed:
        spans = [(s.start, s.end) for s in item.evidence]
        hits = {
            eid
            for eid, mentions in article.mention_spans.items()
            if any(_overlap(s, m) for s in spans for m in mentions)
        }
        to_annotated[_entity_id(item)] = hits
        kind = _entity_kind(item, store)
        right = any(kinds[h] == kind for h in hits)
        r["entity_precision"].add(right)
        if not right:
            score.misses.append(
                f"entity proposed, not annotated so: {item.evidence[0].quote!r} ({kind})"
            )
    for entity in article.entities:
        spans = article.mention_spans[entity["id"]]
        if not spans:
            continue  # named only in a byline or a caption: never to be proposed
        ok = any(
            _entity_kind(item, store) == entity["kind"]
            and any(_overlap((s.start, s.end), m) for s in item.evidence for m in spans)
            for item in proposed
        )
        r["entity_recall"].add(ok)
        if entity.get("named", True):
            r["entity_recall_named"].add(ok)
        if not ok:
            score.misses.append(f"entity missed: {entity['label']!r} ({entity['kind']})")
    # events: greedy one-to-one, closest trigger first
    events = [i for i in found.items if i.type == "event"]
    pairs = []
    for annotation in article.events:
        _, trig = article.event_spans[annotation["id"]]
        for n, item in enumerate(events):
            for s in item.evidence:
                if _overlap((s.start, s.end), trig):
                    same = item.record.get("kind", annotation["kind"]) == annotation["kind"]
                    pairs.append((not same, s.end - s.start, annotation["id"], n))
    matched: dict[str, int] = {}
    used: set[int] = set()
    for _, _, aid, n in sorted(pairs):
        if aid not in matched and n not in used:
            matched[aid] = n
            used.add(n)
    for n in range(len(events)):
        r["event_precision"].add(n in used)
    for annotation in article.events:
        n_found = matched.get(annotation["id"])
        r["event_recall"].add(n_found is not None)
        if n_found is None:
            score.misses.append(f"event missed: {annotation['quote']!r} ({annotation['kind']})")
            continue
        item = events[n_found]
        cameo = annotation.get("cameo")
        checks: dict[str, tuple[Any, Any, bool]] = {}
        for key, want in (
            ("cameo", cameo[:2] if cameo else None),
            ("date", annotation.get("date")),
            ("modality", annotation.get("modality")),
        ):
            got = _event_value(item, key, store)
            checks[key] = (want, got, got == want)
        for role in ("actor", "target"):
            want = annotation.get(role)
            got = _role(item, role, store)
            ok = (want is None and got is None) or (
                got is not None and want in to_annotated.get(got, {got})
            )
            checks[role] = (want, got, ok)
        for key, (want, got, ok) in checks.items():
            r["cameo_root" if key == "cameo" else key].add(ok)
            if not ok:
                score.misses.append(
                    f"{key} {got!r}, annotated {want!r}: {annotation['quote'][:70]!r}"
                )
    return score


def _articles(paths: Sequence[Path]) -> Iterator[tuple[str, list[Path]]]:
    for path in paths:
        if path.is_dir():
            yield path.name, sorted(path.glob("*.json"))
        else:
            yield path.stem, [path]


def _table(scores: list[ArticleScore], total: ArticleScore) -> str:
    head = f"{'':44}" + "".join(f"{s.name[:14]:>16}" for s in [*scores, total])
    lines = [head]
    for key, title in METRICS:
        row = f"{title:44}" + "".join(f"{s.ratios[key].show():>16}" for s in [*scores, total])
        lines.append(row)
    lines.append(f"{'time to read (ms)':44}" + "".join(f"{s.ms:16.0f}" for s in [*scores, total]))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m graph.ingest.evaluate DIR...``: print the figures of each set."""
    parser = argparse.ArgumentParser(
        prog="python -m graph.ingest.evaluate", description=__doc__.split("\n")[0]
    )
    parser.add_argument("paths", nargs="+", type=Path, help="directories of annotated articles")
    parser.add_argument("--seeds", type=Path, default=Path("seeds"), help="the graph to link to")
    parser.add_argument("--misses", action="store_true", help="list what was missed or wrong")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    from graph.seed import load_seed_dir

    started = time.perf_counter()
    store = load_seed_dir(args.seeds)
    print(f"seed graph {args.seeds} loaded in {1000 * (time.perf_counter() - started):.0f} ms")
    report: dict[str, Any] = {}
    try:
        for name, files in _articles(args.paths):
            scores = [score_article(load_article(f), store) for f in files]
            total = ArticleScore("all")
            for s in scores:
                total += s
            print(f"\n== {name}: {len(scores)} articles ==")
            print(_table(scores, total))
            if args.misses:
                for s in scores:
                    for miss in s.misses:
                        print(f"  {s.name}: {miss}")
            report[name] = {
                s.name: {k: v.value() for k, v in s.ratios.items()} | {"ms": round(s.ms, 1)}
                for s in [*scores, total]
            }
    except EvalFileError as exc:
        print(f"geokg eval: error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
