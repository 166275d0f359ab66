"""Seed validation: every broken input is named by file, JSON path and reason; nothing loads."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from graph.errors import SeedValidationError
from graph.seed import load_seed_dir, validate_seed_paths

Edit = Callable[[dict[str, Any]], None]


def _edit(directory: Path, change: Edit) -> None:
    path = directory / "mini.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")


def _set(path: list[str | int], value: Any) -> Edit:
    def change(data: dict[str, Any]) -> None:
        target: Any = data
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value

    return change


BROKEN: list[tuple[str, Edit, str, str]] = [
    (
        "unknown entity kind",
        _set(["entities", 0, "kind"], "planet"),
        "$.entities[0].kind",
        "Input should be",
    ),
    (
        "unknown event kind",
        _set(["events", 0, "kind"], "party"),
        "$.events[0].kind",
        "Input should be",
    ),
    (
        "dangling participant",
        _set(["events", 0, "participants", 0, "entity"], "nobody"),
        "$.events[0].participants[0].entity",
        "unknown entity 'nobody'",
    ),
    (
        "dangling relation",
        _set(["relations", 1, "target"], "atlantis"),
        "$.relations[1].target",
        "unknown entity or event 'atlantis'",
    ),
    (
        "dangling publisher",
        _set(["source", "publisher"], "nobody"),
        "$.source.publisher",
        "unknown entity",
    ),
    (
        "quote not in text",
        _set(["events", 0, "evidence", 0, "quote"], "Nothing of the sort"),
        "$.events[0].evidence[0].quote",
        "not in the text",
    ),
    (
        "offsets off by one",
        _set(["relations", 0, "evidence", 0, "start"], 105),
        "$.relations[0].evidence[0].quote",
        "the quote is at",
    ),
    (
        "offsets past the end",
        _set(["entities", 0, "evidence", 0, "end"], 10**6),
        "$.entities[0].evidence[0]",
        "outside the text",
    ),
    (
        "invalid date",
        _set(["events", 0, "date", "value"], "2022-02-30"),
        "$.events[0].date.value",
        "valid date",
    ),
    (
        "date disagrees with its rule",
        _set(["events", 0, "date", "value"], "2022-02-16"),
        "$.events[0].date.value",
        "does not match publication_day",
    ),
    (
        "weekday rule without a weekday",
        _set(["events", 0, "date"], {"expression": "soon", "rule": "weekday_near_publication"}),
        "$.events[0].date.rule",
        "weekday",
    ),
    (
        "unknown date rule",
        _set(["events", 0, "date"], {"expression": "x", "rule": "someday"}),
        "$.events[0].date.rule",
        "unknown date rule",
    ),
    (
        "date anchor cycle",
        _set(
            ["events", 0, "date"],
            {"rule": "relative_to_event", "anchor": "quux-warning", "offset_days": 1},
        ),
        "$.events[1].date.anchor",
        "date anchors form a cycle: alpha-beta-meeting -> quux-warning -> alpha-beta-meeting",
    ),
    (
        "unknown CAMEO code",
        _set(["events", 0, "cameo"], "999"),
        "$.events[0].cameo",
        "unknown CAMEO code",
    ),
    ("CAMEO code as a number", _set(["events", 0, "cameo"], 36), "$.events[0].cameo", "string"),
    (
        "no CAMEO code and no note saying why",
        _set(["events", 0, "cameo"], None),
        "$.events[0].cameo_note",
        "needs a cameo_note",
    ),
    (
        "a CAMEO note beside a code",
        _set(["events", 0, "cameo_note"], "filler"),
        "$.events[0].cameo_note",
        "only for an event without a CAMEO code",
    ),
    (
        "a blank CAMEO note",
        _set(["events", 0, "cameo_note"], " "),
        "$.events[0].cameo_note",
        "must not be blank",
    ),
    (
        "a credit for someone neither publisher nor contributor",
        _set(
            ["source", "credits"],
            [
                {
                    "entity": "alpha-land",
                    "evidence": [{"quote": "Alpha Land", "start": 40, "end": 50}],
                }
            ],
        ),
        "$.source.credits[0].entity",
        "neither the publisher nor a contributor",
    ),
    (
        "a credit quote not in the text",
        _set(
            ["source", "credits"],
            [{"entity": "delia-quux", "evidence": [{"quote": "Nobody", "start": 0, "end": 6}]}],
        ),
        "$.source.credits[0].evidence[0]",
        "not the text",
    ),
    (
        "unknown ISO code",
        _set(["entities", 0, "iso3166"], "XX"),
        "$.entities[0].iso3166",
        "no alpha-2 code",
    ),
    (
        "ISO code on a non-state",
        _set(["entities", 2, "iso3166"], "UA"),
        "$.entities[2].iso3166",
        "only states",
    ),
    ("bad id", _set(["entities", 0, "id"], "Alpha Land"), "$.entities[0].id", "pattern"),
    (
        "unknown field",
        _set(["entities", 0, "colour"], "red"),
        "$.entities[0].colour",
        "Extra inputs",
    ),
    (
        "named entity without evidence",
        _set(["entities", 2, "evidence"], []),
        "$.entities[2].evidence",
        "at least one quote",
    ),
    (
        "event without evidence",
        _set(["events", 1, "evidence"], []),
        "$.events[1].evidence",
        "at least 1",
    ),
    (
        "unknown modality",
        _set(["events", 1, "modality"], "rumoured"),
        "$.events[1].modality",
        "Input should be",
    ),
    (
        "missing text file",
        _set(["source", "text_file"], "gone.txt"),
        "$.source.text_file",
        "cannot read",
    ),
    ("wrong format tag", _set(["format"], "geokg-seed/9"), "$.format", "geokg-seed/1"),
]


@pytest.mark.parametrize(
    ("edit", "path", "reason"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN]
)
def test_broken_seed_is_refused_with_file_path_and_reason(
    mini_copy: Path, edit: Edit, path: str, reason: str
) -> None:
    _edit(mini_copy, edit)
    with pytest.raises(SeedValidationError) as caught:
        load_seed_dir(mini_copy)
    problems = caught.value.problems
    assert problems, "a broken seed must report at least one problem"
    matching = [p for p in problems if p.path.startswith(path) and reason in p.reason]
    assert matching, f"expected {path}: ...{reason}... in {[str(p) for p in problems]}"
    assert all(p.file.endswith("mini.json") for p in matching)


def test_invalid_json_names_line_and_column(mini_copy: Path) -> None:
    (mini_copy / "mini.json").write_text(
        '{"format": "geokg-seed/1",\n  "source": }', encoding="utf-8"
    )
    with pytest.raises(
        SeedValidationError, match=r"mini.json: \$: invalid JSON at line 2 column 13"
    ):
        load_seed_dir(mini_copy)


def test_empty_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SeedValidationError, match=r"no \*\.json seed files"):
        load_seed_dir(tmp_path)


def test_every_problem_is_reported_at_once(mini_copy: Path) -> None:
    def two_faults(data: dict[str, Any]) -> None:
        data["events"][0]["cameo"] = "999"
        data["relations"][0]["target"] = "nowhere"

    _edit(mini_copy, two_faults)
    with pytest.raises(SeedValidationError) as caught:
        validate_seed_paths([mini_copy])
    assert {p.path for p in caught.value.problems} >= {"$.events[0].cameo", "$.relations[0].target"}


def _second_source(directory: Path) -> None:
    """Add a second source that mentions an entity of the first and brings a new one."""
    text = "Second synthetic document. Alpha Land, also called Alphaville, spoke to Epsilon.\n"
    (directory / "second.txt").write_text(text, encoding="utf-8")

    def ev(quote: str) -> dict[str, Any]:
        start = text.index(quote)
        return {"quote": quote, "start": start, "end": start + len(quote)}

    seed = {
        "format": "geokg-seed/1",
        "source": {
            "id": "test-second",
            "title": "Second synthetic document",
            "text_file": "second.txt",
            "publisher": "test-press",
            "published": "2022-02-16",
            "metadata_origin": "test fixture",
        },
        "entities": [
            {
                "id": "alpha-land",
                "kind": "state",
                "label": "Alpha Land",
                "aliases": ["Alphaville"],
                "evidence": [ev("Alpha Land, also called Alphaville")],
            },
            {"id": "epsilon", "kind": "person", "label": "Epsilon", "evidence": [ev("Epsilon")]},
        ],
        "events": [
            {
                "id": "alpha-speaks",
                "kind": "statement",
                "label": "Alpha Land speaks to Epsilon",
                "cameo": "010",
                "modality": "occurred",
                "date": {"rule": "undated"},
                "participants": [
                    {"role": "actor", "entity": "alpha-land"},
                    {"role": "target", "entity": "epsilon"},
                    {"role": "participant", "entity": "beta-land"},
                ],
                "evidence": [ev("Alpha Land, also called Alphaville, spoke to Epsilon.")],
            }
        ],
    }
    (directory / "second.json").write_text(json.dumps(seed), encoding="utf-8")


def test_entity_in_two_sources_is_one_node_with_evidence_from_both(mini_copy: Path) -> None:
    _second_source(mini_copy)
    store = load_seed_dir(mini_copy)
    alpha = store.entity("alpha-land")
    assert {e.source for e in alpha.evidence} == {"test-mini", "test-second"}
    assert set(alpha.aliases) == {"Alpha", "Alphaville"}
    assert store.counts()["sources"] == 2
    # The second file may refer to entities defined only in the first.
    assert [e.target for e in store.out_edges("alpha-speaks") if e.type == "participant"] == [
        "beta-land"
    ]


def test_entity_kind_conflict_between_sources_is_refused(mini_copy: Path) -> None:
    _second_source(mini_copy)
    data = json.loads((mini_copy / "second.json").read_text(encoding="utf-8"))
    data["entities"][0]["kind"] = "place"
    (mini_copy / "second.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(
        SeedValidationError, match=r"second\.json: \$\.entities\[0\]\.kind: 'alpha-land' is a state"
    ):
        load_seed_dir(mini_copy)


def test_relative_dates_resolve_from_their_anchor(mini_store: Any) -> None:
    warning = mini_store.event("quux-warning")
    assert warning.date.value.isoformat() == "2022-02-16"
    assert warning.date.rule == "relative_to_event"
    assert warning.date.expression == "a day after"
    denial = mini_store.event("beta-denial")
    assert denial.date.value is None and denial.date.granularity is None
    assert "does not date" in (denial.date.note or "")


def test_an_event_no_code_fits_loads_with_its_note_and_no_scores(mini_copy: Path) -> None:
    note = "a denial between test actors, left uncoded for the test"

    def uncode(data: dict[str, Any]) -> None:
        data["events"][2]["cameo"] = None
        data["events"][2]["cameo_note"] = note

    _edit(mini_copy, uncode)
    denial = load_seed_dir(mini_copy).event("beta-denial")
    assert denial.cameo is None and denial.cameo_note == note


def test_a_credit_is_the_evidence_of_the_contributor_edge(mini_copy: Path) -> None:
    quote = {"quote": "Officer Délia Quux", "start": 104, "end": 122}
    _edit(mini_copy, _set(["source", "credits"], [{"entity": "delia-quux", "evidence": [quote]}]))
    edge = load_seed_dir(mini_copy).edge("test-mini.contributor.delia-quux")
    assert [(e.source, e.quote, e.start, e.end) for e in edge.evidence] == [
        ("test-mini", "Officer Délia Quux", 104, 122)
    ]
