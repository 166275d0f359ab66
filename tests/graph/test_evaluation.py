"""The evaluation set and its scorer (``make eval``)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from graph.ingest.evaluate import EvalFileError, load_article, main, score_article
from graph.seed import load_seed_dir
from graph.store import GraphStore

ROOT = Path(__file__).resolve().parents[2]
SPLITS = ("dev", "heldout-1", "heldout-2", "heldout-3", "heldout-4")
ARTICLES = sorted(p for split in SPLITS for p in (ROOT / "evaluation" / split).glob("*.json"))


@pytest.fixture(scope="module")
def seed_store() -> GraphStore:
    return load_seed_dir(ROOT / "seeds")


def test_the_set_has_dev_and_held_out_articles() -> None:
    splits = {p.parent.name for p in ARTICLES}
    assert splits == set(SPLITS)
    assert len(ARTICLES) >= 8


@pytest.mark.parametrize("path", ARTICLES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_annotation_points_into_its_text(path: Path) -> None:
    article = load_article(path)
    assert article.entities and article.events
    for event in article.events:
        (qs, qe), (ts, te) = article.event_spans[event["id"]]
        assert article.text[qs:qe] == event["quote"]
        assert qs <= ts < te <= qe


UNREAD = ("heldout-4",)
"""Held-out sets measured blind and not read since: only ``make eval`` measures them."""
DEV = [p for p in ARTICLES if p.parent.name not in UNREAD]


@pytest.mark.parametrize("path", DEV, ids=lambda p: p.stem)
def test_quotes_are_exact_and_nothing_comes_from_boilerplate(
    path: Path, seed_store: GraphStore
) -> None:
    """Two of the issue's targets, held on every set read while writing the rules: dev, and
    each held-out set after its blind run (kept in evaluation/results). A new blind set is
    measured by ``make eval`` before it joins this list: a test over it would be tuning."""
    score = score_article(load_article(path), seed_store)
    assert score.ratios["quotes_exact"].value() == 1.0
    assert score.ratios["not_boilerplate"].value() == 1.0


def _write(tmp: Path, text: str, annotation: dict) -> Path:
    (tmp / "a.txt").write_text(text, "utf-8")
    path = tmp / "a.json"
    path.write_text(json.dumps({"format": "geokg-eval/1", **annotation}), "utf-8")
    return path


TEXT = "Talks\n\nForeign Minister Anna Berg of Norland met Ivo Tamm on Monday.\nShow More\n"
ANNOTATION = {
    "title": "Talks",
    "published": "2023-05-03",
    "entities": [
        {"id": "berg", "kind": "person", "label": "Anna Berg", "mentions": ["Anna Berg"]},
        {"id": "tamm", "kind": "person", "label": "Ivo Tamm", "mentions": ["Ivo Tamm"]},
        {"id": "norland", "kind": "state", "label": "Norland", "mentions": ["Norland"]},
    ],
    "events": [
        {
            "id": "m",
            "quote": "Anna Berg of Norland met Ivo Tamm on Monday",
            "trigger": "met",
            "kind": "meeting",
            "cameo": "040",
            "modality": "occurred",
            "actor": "berg",
            "target": None,
            "date": "2023-05-01",
        }
    ],
    "boilerplate": ["Show More"],
}


def test_the_scorer_counts_what_it_says(tmp_path: Path) -> None:
    score = score_article(load_article(_write(tmp_path, TEXT, ANNOTATION)), None)
    r = {k: (v.hit, v.of) for k, v in score.ratios.items()}
    assert r["entity_recall"] == (3, 3)
    assert r["event_recall"] == (1, 1)
    assert r["cameo_root"] == (1, 1)
    assert r["actor"] == (1, 1)
    assert r["date"] == (1, 1)


def test_a_wrong_annotation_lowers_the_figures(tmp_path: Path) -> None:
    wrong = json.loads(json.dumps(ANNOTATION))
    wrong["entities"][2]["kind"] = "place"
    wrong["events"][0].update(cameo="190", actor="tamm", date="2023-05-08")
    score = score_article(load_article(_write(tmp_path, TEXT, wrong)), None)
    r = {k: (v.hit, v.of) for k, v in score.ratios.items()}
    assert r["entity_recall"] == (2, 3)
    assert r["cameo_root"] == (0, 1)
    assert r["actor"] == (0, 1)
    assert r["date"] == (0, 1)


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"format": "other"}, "$.format"),
        ({"published": "2023-02-31"}, "$.published"),
        ({"boilerplate": ["Not there"]}, "$.boilerplate[0]"),
        (
            {"events": [{**ANNOTATION["events"][0], "quote": "n"}]},  # type: ignore[dict-item]
            "$.events[0].quote",
        ),
    ],
)
def test_a_malformed_annotation_names_file_and_path(
    tmp_path: Path, change: dict, where: str
) -> None:
    path = _write(tmp_path, TEXT, {**ANNOTATION, **change})
    with pytest.raises(EvalFileError, match=re.escape(f"a.json: {where}")):
        load_article(path)


def test_make_eval_prints_a_table_per_set(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write(tmp_path, TEXT, ANNOTATION)
    out = tmp_path / "figures.json"
    assert main([str(tmp_path), "--seeds", str(ROOT / "seeds"), "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "events found" in printed and "CAMEO root right" in printed
    assert json.loads(out.read_text())[tmp_path.name]["all"]["event_recall"] == 1.0
