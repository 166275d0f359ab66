"""The trigger lexicon: every code it names is in the CAMEO codebook, and every form without
a code says why."""

from __future__ import annotations

from graph.ingest.lexicon import TRIGGERS
from graph.reference import cameo_codes


def test_every_trigger_code_is_in_the_codebook_and_every_missing_one_is_explained() -> None:
    codes = cameo_codes()
    for form, trigger in TRIGGERS.items():
        if trigger.continues:
            continue
        if trigger.cameo is None:
            assert trigger.note, form
        else:
            assert trigger.cameo in codes, form


def test_proposed_events_carry_goldstein_and_quad_class() -> None:
    import datetime as dt

    from graph.ingest import read_article

    text = "T\n\nNorland has deployed 500 troops near Varnia.\n"
    found = read_article(
        text,
        ingest_id="i",
        title="T",
        published=dt.date(2022, 2, 15),
        url=None,
        source="s",
        actor="a",
        store=None,
    )
    [event] = [i.record for i in found.items if i.type == "event"]
    assert event["cameo"]["code"] == "154" and event["cameo"]["quad_class"] == 4
    assert event["cameo"]["goldstein"] == cameo_codes()["154"].goldstein
