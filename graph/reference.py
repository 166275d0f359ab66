"""Reference data from outside the article: CAMEO codes, Wikidata ids, ISO 3166 codes.

Every value taken from here is marked in the graph with its ``origin``; none of it is a fact
of the article. The TSV files in ``graph/data`` are copies of the project's shared reference
data (see ``graph/data/README.md`` for where each came from).
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources

import pycountry

from graph.model import CameoCode, Identifier

__all__ = ["CAMEO_ORIGIN", "cameo", "cameo_codes", "country_identifiers", "wikidata_ids"]

CAMEO_ORIGIN = (
    "CAMEO codebook names; Goldstein scores from GDELT CAMEO.goldsteinscale.txt "
    "(graph/data/cameo.tsv)"
)
WIKIDATA_ORIGIN = "Wikidata, confirmed by several independent sources (graph/data/wikidata.tsv)"
PYCOUNTRY_ORIGIN = f"ISO 3166-1 via pycountry {getattr(pycountry, '__version__', '')}".strip()


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("graph").joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines(), delimiter="\t"))


@cache
def cameo_codes() -> dict[str, CameoCode]:
    """Return every CAMEO code, keyed by its string code.

    Examples
    --------
    >>> c = cameo_codes()["0311"]
    >>> c.code, c.quad_class
    ('0311', 1)
    """
    table: dict[str, CameoCode] = {}
    for row in _rows("cameo.tsv"):
        score = row["goldstein"].strip()
        table[row["code"]] = CameoCode(
            code=row["code"],
            name=row["name"],
            goldstein=float(score) if score else None,
            quad_class=int(row["quad_class"]),
            origin=CAMEO_ORIGIN,
        )
    return table


def cameo(code: str) -> CameoCode:
    """Return one CAMEO code; raise ``KeyError`` if the codebook has no such code.

    Examples
    --------
    >>> cameo("036").name
    'Express intent to meet or negotiate'
    """
    return cameo_codes()[code]


@cache
def wikidata_ids() -> dict[str, str]:
    """Return the confirmed Wikidata item ids, keyed by entity label.

    Examples
    --------
    >>> wikidata_ids()["Russia"]
    'Q159'
    """
    return {row["label"]: row["qid"] for row in _rows("wikidata.tsv")}


def country_identifiers(alpha_2: str) -> tuple[Identifier, ...]:
    """Return the ISO 3166-1 codes of a country, looked up in pycountry.

    Raises ``LookupError`` if ISO 3166-1 has no such alpha-2 code.

    Examples
    --------
    >>> [i.value for i in country_identifiers("UA")]
    ['UA', 'UKR', '804']
    """
    country = pycountry.countries.get(alpha_2=alpha_2)
    if country is None or country.alpha_2 != alpha_2:
        raise LookupError(f"ISO 3166-1 has no alpha-2 code {alpha_2!r}")
    return (
        Identifier(scheme="iso3166-1-alpha2", value=country.alpha_2, origin=PYCOUNTRY_ORIGIN),
        Identifier(scheme="iso3166-1-alpha3", value=country.alpha_3, origin=PYCOUNTRY_ORIGIN),
        Identifier(scheme="iso3166-1-numeric", value=country.numeric, origin=PYCOUNTRY_ORIGIN),
    )


def wikidata_identifier(label: str) -> Identifier | None:
    """Return the Wikidata identifier for an entity label, if the reference table has one."""
    qid = wikidata_ids().get(label)
    return None if qid is None else Identifier(scheme="wikidata", value=qid, origin=WIKIDATA_ORIGIN)
