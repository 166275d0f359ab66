"""Ingestion: an article's text to proposals, checked on small texts and on the seed graph."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from graph.ingest import ProposalSet, read_article
from graph.ingest.pipeline import MAX_ITEM_QUOTES
from graph.ingest.text import boilerplate, fold, sentences
from graph.seed import load_seed_dir
from graph.store import GraphStore

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
SEED_TEXT = (SEEDS / "2022-02-15-ap-russia-forces-pulling-back.txt").read_text("utf-8")

SECOND_REPORT = (
    "Troops Move\n\n"
    "KIEV, Ukraine (AP) — U.S. officials said Wednesday that Russian troops were moving toward "
    "the border. President Volodymyr Zelensky met Olaf Scholz in Kiev on Monday. "
    "Ukr\u0430ine\u2019s foreign minister said Russia would not attack.\n"
    "Soldiers walk in Kiev. (AP Photo/Jane Doe)\n"
    "[embed-player id=\u201d7\u201d]\n"
    "Show More\n"
)


@pytest.fixture(scope="module")
def seed_store() -> GraphStore:
    return load_seed_dir(SEEDS)


def _read(text: str, published: str, store: GraphStore | None) -> ProposalSet:
    return read_article(
        text,
        ingest_id="i",
        title="t",
        published=dt.date.fromisoformat(published),
        url=None,
        source="src",
        actor="test",
        store=store,
        taken=(lambda i: i in store) if store is not None else (lambda _: False),
    )


def _events(found: ProposalSet) -> list[dict]:
    return [i.record for i in found.items if i.type == "event" and i.action == "create"]


def test_fold_replaces_lookalikes_inside_latin_words_and_keeps_every_offset() -> None:
    text = "Ukr\u0430ine, Russi\u0430 and \u041c\u043e\u0441\u043a\u0432\u0430; \u13aaBC"
    folded = fold(text)
    assert len(folded) == len(text)
    assert folded.startswith("Ukraine, Russia and ")
    assert "\u041c\u043e\u0441\u043a\u0432\u0430" in folded  # a Cyrillic word stays Cyrillic
    assert folded.endswith("ABC")


@pytest.mark.parametrize("store_used", [False, True])
def test_every_quote_is_the_slice_of_the_original_text(
    seed_store: GraphStore, store_used: bool
) -> None:
    for text, published in ((SEED_TEXT, "2022-02-15"), (SECOND_REPORT, "2022-02-16")):
        found = _read(text, published, seed_store if store_used else None)
        assert found.items
        for item in found.items:
            for span in item.evidence:
                assert text[span.start : span.end] == span.quote, item.id
            for ev in item.record.get("evidence", []):
                assert text[ev["start"] : ev["end"]] == ev["quote"], item.id
            for role in item.roles:
                for ev in role["evidence"]:
                    assert text[ev["start"] : ev["end"]] == ev["quote"], item.id


def test_boilerplate_is_skipped_and_never_quoted() -> None:
    found = _read(SECOND_REPORT, "2022-02-16", None)
    reasons = {s.text: s.reason for s in found.skipped}
    assert reasons["Soldiers walk in Kiev. (AP Photo/Jane Doe)"] == "photo caption or credit"
    assert reasons["Show More"] == "page chrome"
    assert reasons["[embed-player id=\u201d7\u201d]"] == "markup"
    assert reasons["KIEV, Ukraine (AP) \u2014 "] == "dateline"
    for item in found.items:
        for span in item.evidence:
            for s in found.skipped:
                assert span.end <= s.start or span.start >= s.end, (item.id, s.text)


def test_seed_boilerplate_is_skipped() -> None:
    skipped = {
        SEED_TEXT[s.start : s.end]: s.reason
        for s in boilerplate(SEED_TEXT, "Russia Says Some Forces Pulling Back Amid Ukraine Crisis")
    }
    assert skipped["[time-brightcove not-tgx=\u201dtrue\u201d]"] == "markup"
    assert skipped["Related Articles"] == "page chrome"
    assert any(reason == "byline" for reason in skipped.values())


def test_sentences_keep_abbreviations_and_initials_inside() -> None:
    text = "T\n\nDr. Tamara Ugrich met Jan M. Olsen in the U.S. on (Feb.) 16th. Then she left.\n"
    said = [text[s.start : s.end] for s in sentences(text, boilerplate(text, "T"))]
    assert said == [
        "Dr. Tamara Ugrich met Jan M. Olsen in the U.S. on (Feb.) 16th.",
        "Then she left.",
    ]


def test_names_link_to_the_graph_through_other_spellings_and_lookalikes(
    seed_store: GraphStore,
) -> None:
    found = _read(SECOND_REPORT, "2022-02-16", seed_store)
    linked = {i.evidence[0].quote: i.existing for i in found.items if i.action == "add_evidence"}
    assert linked["Volodymyr Zelensky"] == "volodymyr-zelenskyy"
    assert linked["Kiev"] == "kyiv"
    assert linked["Ukr\u0430ine"] == "ukraine"  # the quote keeps the Cyrillic letter
    assert linked["Ukr\u0430ine\u2019s foreign minister"] == "dmytro-kuleba"


def test_new_names_are_proposed_never_linked_to_an_outside_id() -> None:
    text = "T\n\nForeign Minister Anna Berg of Norland met Prime Minister Ivo Tamm in Varnia.\n"
    found = _read(text, "2023-05-03", None)
    entities = {i.record["label"]: i.record for i in found.items if i.type == "entity"}
    assert entities["Anna Berg"]["kind"] == "person"
    assert entities["Norland"]["kind"] == "state"
    assert all(not e["identifiers"] for e in entities.values())
    relations = [i.record for i in found.items if i.type == "relation"]
    assert {(r["source"], r["type"], r["target"], r["attributes"]["title"]) for r in relations} == {
        ("anna-berg", "holds_position", "norland", "foreign minister")
    }


def test_a_negated_statement_never_yields_its_positive() -> None:
    text = (
        "T\n\nDanilov said that the army does not see that an offensive can take place. "
        "Lukas Berg said troops would attack.\n"
    )
    found = _read(text, "2022-02-15", None)
    actions = [e for e in _events(found) if e["kind"] == "military_action"]
    assert len(actions) == 1
    assert "Lukas Berg" in actions[0]["evidence"][0]["quote"]


def test_speech_content_is_asserted_on_the_speakers_word_and_denials_are_denied() -> None:
    text = (
        "T\n\nGeneral Ivo Tamm said troops were moving to the border. "
        "Norland denies it has plans to invade Varnia.\n"
    )
    found = _read(text, "2022-02-15", None)
    by_kind = {e["kind"]: e for e in _events(found)}
    assert by_kind["statement"]["modality"] == "occurred"
    assert by_kind["troop_movement"]["modality"] == "asserted"
    assert by_kind["military_action"]["modality"] == "denied"
    movement = next(i for i in found.items if i.record.get("kind") == "troop_movement")
    assert {(r["type"], r["target"]) for r in movement.roles} >= {("according_to", "ivo-tamm")}


@pytest.mark.parametrize(
    ("sentence", "published", "day", "rule"),
    [
        ("Anna Berg met Ivo Tamm on Monday.", "2022-02-16", "2022-02-14", "last_weekday"),
        ("Anna Berg met Ivo Tamm on Thursday.", "2022-02-16", "2022-02-10", "last_weekday"),
        ("Anna Berg will meet Ivo Tamm on Thursday.", "2022-02-16", "2022-02-17", "next_weekday"),
        ("Anna Berg will meet Ivo Tamm on Monday.", "2022-02-16", "2022-02-21", "next_weekday"),
        ("Anna Berg met Ivo Tamm on Wednesday.", "2022-02-16", "2022-02-16", "publication_day"),
        ("Anna Berg met Ivo Tamm.", "2022-02-16", None, "undated"),
    ],
)
def test_weekdays_resolve_by_tense_as_ap_writes_them(
    sentence: str, published: str, day: str | None, rule: str
) -> None:
    found = _read(f"T\n\n{sentence}\n", published, None)
    [meeting] = [e for e in _events(found) if e["kind"] == "meeting"]
    assert meeting["date"]["value"] == day
    assert meeting["date"]["rule"] == rule


def test_a_day_after_dates_from_the_sentences_first_event() -> None:
    text = "T\n\nAnna Berg met Ivo Tamm on Tuesday, a day after she visited Varnia.\n"
    found = _read(text, "2022-02-16", None)
    by_kind = {e["kind"]: e for e in _events(found)}
    assert by_kind["meeting"]["date"]["value"] == "2022-02-15"
    assert by_kind["visit"]["date"]["value"] == "2022-02-14"
    assert by_kind["visit"]["date"]["rule"] == "relative_to_event"


@pytest.mark.parametrize(
    ("phrase", "value", "unit", "qualifier"),
    [
        ("more than 130,000 soldiers", 130000, "soldier", "more_than"),
        ("approximately 4,500 sites", 4500, "site", "approximately"),
        ("12 tanks", 12, "tank", "exact"),
        ("small numbers", None, "unit", "small_number"),
    ],
)
def test_quantities_keep_their_hedge_and_unit(
    phrase: str, value: float | None, unit: str, qualifier: str
) -> None:
    found = _read(f"T\n\nNorland has deployed {phrase} near Varnia.\n", "2022-02-15", None)
    [deployment] = [e for e in _events(found) if e["kind"] == "deployment"]
    [quantity] = deployment["quantities"]
    assert (quantity["value"], quantity["unit"], quantity["qualifier"]) == (value, unit, qualifier)
    assert quantity["text"] == phrase


def test_a_contradicting_report_is_proposed_as_disputes(seed_store: GraphStore) -> None:
    found = _read(SECOND_REPORT, "2022-02-16", seed_store)
    disputes = [i for i in found.items if i.record.get("type") == "disputes"]
    assert [d.record["target"] for d in disputes] == ["russian-units-return-to-bases"]
    [movement] = [i for i in found.items if i.record.get("kind") == "troop_movement"]
    assert disputes[0].needs == [movement.id]


def test_the_same_event_reported_again_is_new_evidence_not_a_duplicate(
    seed_store: GraphStore,
) -> None:
    found = _read(SEED_TEXT, "2022-02-15", seed_store)
    again = {i.existing for i in found.items if i.type == "event" and i.action == "add_evidence"}
    assert "russia-deploys-130000-soldiers-near-ukraine" in again
    created = [e for e in _events(found) if "130,000" in e["evidence"][0]["quote"]]
    assert created == []


def test_a_new_article_without_the_graph_creates_what_it_finds() -> None:
    found = _read(SEED_TEXT, "2022-02-15", None)
    assert all(i.action == "create" for i in found.items)


def test_an_entity_named_often_is_proposed_with_its_first_quotes_only() -> None:
    text = "T\n\n" + " ".join(["Anna Berg met Ivo Tamm."] * (MAX_ITEM_QUOTES + 5)) + "\n"
    found = _read(text, "2022-02-15", None)
    berg = next(i for i in found.items if i.record.get("label") == "Anna Berg")
    assert len(berg.evidence) == MAX_ITEM_QUOTES
    assert [e.start for e in berg.evidence] == sorted(e.start for e in berg.evidence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Russia refused to withdraw its troops.",
        "Russia has yet to withdraw its forces.",
        "Russia failed to pull back.",
        "It is not true that Russian forces shelled Kyiv, officials said.",
        "There is no evidence that Russia attacked Ukraine.",
        "It wasn't clear where the troops had been deployed.",
        "The ministry did not say how many troops were leaving.",
        "Neither Russia nor Belarus attacked Ukraine.",
        "No Russian troops withdrew from the border.",
        "Russia withdrew no troops from the border.",
        "Officials doubt that Russia withdrew its troops.",
        "Nobody believes Russia attacked Ukraine.",
    ],
)
def test_what_a_sentence_denies_or_leaves_open_is_no_event(sentence: str) -> None:
    found = _read(f"T\n\n{sentence}\n", "2022-02-15", None)
    kinds = {e["kind"] for e in _events(found)}
    assert not kinds & {"withdrawal", "military_action", "deployment", "troop_movement"}


def test_a_first_line_that_is_not_the_title_is_read() -> None:
    text = "Foreign Minister Anna Berg of Norland visited Varnia on Monday.\r\rShow More\r"
    found = _read(text, "2023-05-03", None)
    assert [s.reason for s in found.skipped] == ["page chrome"]
    assert any(e["kind"] == "visit" for e in _events(found))


def test_a_story_paragraph_that_starts_like_page_chrome_is_read() -> None:
    text = "T\n\nWatchdog groups said Norland had deployed 500 troops near Varnia on Monday.\n"
    found = _read(text, "2023-05-03", None)
    assert found.skipped[0].reason == "title" and len(found.skipped) == 1
    assert any(e["kind"] == "deployment" for e in _events(found))


@pytest.mark.parametrize("published", ["0001-01-01", "9999-12-31"])
def test_dates_at_the_ends_of_the_calendar_stay_undated(published: str) -> None:
    text = "T\n\nAnna Berg met Ivo Tamm on Sunday. Anna Berg will meet Ivo Tamm on Saturday.\n"
    found = _read(text, published, None)
    assert len(_events(found)) == 2


def test_invisible_and_combining_characters_stay_inside_a_name() -> None:
    text = "T\n\nForeign Minister Anna Be\u200brg met Ze\u0301lensky in Varnia on Monday.\n"
    found = _read(text, "2023-05-03", None)
    labels = {i.record["label"] for i in found.items if i.type == "entity"}
    assert {"Anna Berg", "Z\u00e9lensky"} <= labels
    for item in found.items:
        for span in item.evidence:
            assert text[span.start : span.end] == span.quote


def test_an_event_has_one_place_and_names_it() -> None:
    text = "T\n\nAnna Berg met Ivo Tamm in Varnia and in Norland on Monday.\n"
    found = _read(text, "2023-05-03", None)
    [meeting] = [e for e in _events(found) if e["kind"] == "meeting"]
    roles = next(i.roles for i in found.items if i.record.get("id") == meeting["id"])
    places = [r["target"] for r in roles if r["type"] == "place"]
    assert places == ["varnia"] and meeting["place"] == "varnia"


@pytest.mark.parametrize(
    ("phrase", "day", "rule"),
    [
        ("yesterday", "2022-02-15", "day_before_publication"),
        ("last week", "2022-02-07", "week_before_publication"),
        ("on Feb. 14", "2022-02-14", "month_day"),
        ("on December 30", "2021-12-30", "month_day"),
    ],
)
def test_other_date_phrases_resolve_by_their_rules(phrase: str, day: str, rule: str) -> None:
    found = _read(f"T\n\nAnna Berg met Ivo Tamm {phrase}.\n", "2022-02-16", None)
    [meeting] = [e for e in _events(found) if e["kind"] == "meeting"]
    assert (meeting["date"]["value"], meeting["date"]["rule"]) == (day, rule)


@pytest.mark.parametrize(
    ("sentence", "roles"),
    [
        ("Officials said Russian troops had not left the border.", []),
        ("Russia was accused of attacking Ukraine.", [("target", "russia")]),
        ("\u201cWe will not back down,\u201d said Ivo Tamm.", [("actor", "ivo-tamm")]),
    ],
)
def test_a_speaker_is_whoever_speaks(sentence: str, roles: list[tuple[str, str]]) -> None:
    found = _read(f"T\n\n{sentence}\n", "2022-02-15", None)
    [speech] = [i for i in found.items if i.type == "event" and i.record["kind"] == "statement"]
    assert [(r["type"], r["target"]) for r in speech.roles] == roles
