"""The word lists ingestion reads by: titles, demonyms, spellings, organisation words, and
the trigger lexicon that maps a verb or noun to an event kind and a CAMEO code.

Every table is written here, for geokg, from general knowledge of English news style; the
codes come from the CAMEO codebook (``graph.reference.cameo_codes``) and are checked against
it by the tests. See ``docs/codebook.md`` for the rules the choices follow.
"""

from __future__ import annotations

from dataclasses import dataclass

from graph.ontology import EntityKind, EventKind

__all__ = [
    "CAPITALS",
    "DEMONYMS",
    "HEAD_TITLES",
    "HONORIFICS",
    "KIND_WORDS",
    "PLACE_HEADS",
    "REGIONS",
    "SPELLINGS",
    "TITLES",
    "TRIGGERS",
    "Trigger",
]

TABLE_ORIGIN = "geokg ingestion tables (graph/ingest/lexicon.py), written from general knowledge"

# Titles an official holds, longest first when matched. Lowercase; matched case-insensitively.
TITLES: tuple[str, ...] = tuple(
    sorted(
        {
            "president",
            "vice president",
            "prime minister",
            "deputy prime minister",
            "chancellor",
            "foreign minister",
            "defense minister",
            "defence minister",
            "interior minister",
            "finance minister",
            "minister",
            "deputy foreign minister",
            "foreign secretary",
            "defense secretary",
            "defence secretary",
            "secretary of state",
            "secretary-general",
            "secretary general",
            "ambassador",
            "envoy",
            "special envoy",
            "spokesman",
            "spokeswoman",
            "spokesperson",
            "press secretary",
            "principal deputy press secretary",
            "deputy press secretary",
            "mayor",
            "governor",
            "general",
            "gen.",
            "admiral",
            "commander",
            "chief of staff",
            "chief",
            "king",
            "queen",
            "senator",
            "sen.",
            "lawmaker",
            "leader",
            "head",
            "security and defense council chief",
            "national security adviser",
            "adviser",
            "advisor",
            "army chief",
            "military chief",
            "chief of the general staff",
            "colonel",
            "col.",
            "lt.",
            "lieutenant",
        },
        key=lambda t: (-len(t), t),
    )
)

HEAD_TITLES = frozenset({"president", "prime minister", "chancellor", "king", "queen", "leader"})
"""Titles whose holder 'the country's leader' refers to."""

HONORIFICS = frozenset({"dr.", "mr.", "mrs.", "ms.", "prof.", "sir", "dame"})

# Demonyms of states, by the state's usual English name (the name a graph entity carries).
DEMONYMS: dict[str, tuple[str, ...]] = {
    "Russia": ("Russian",),
    "Ukraine": ("Ukrainian",),
    "United States": ("American", "U.S.", "US"),
    "United Kingdom": ("British", "U.K.", "UK"),
    "Germany": ("German",),
    "France": ("French",),
    "Poland": ("Polish",),
    "Norway": ("Norwegian",),
    "Italy": ("Italian",),
    "Belarus": ("Belarusian",),
    "China": ("Chinese",),
    "Japan": ("Japanese",),
    "Turkey": ("Turkish",),
    "Spain": ("Spanish",),
    "Canada": ("Canadian",),
    "Sweden": ("Swedish",),
    "Finland": ("Finnish",),
    "Denmark": ("Danish",),
    "Netherlands": ("Dutch",),
    "Lithuania": ("Lithuanian",),
    "Latvia": ("Latvian",),
    "Estonia": ("Estonian",),
    "Romania": ("Romanian",),
    "Hungary": ("Hungarian",),
    "Moldova": ("Moldovan",),
    "Georgia": ("Georgian",),
    "Israel": ("Israeli",),
    "Iran": ("Iranian",),
    "India": ("Indian",),
    "Pakistan": ("Pakistani",),
    "Syria": ("Syrian",),
    "Iraq": ("Iraqi",),
    "Australia": ("Australian",),
    "Greece": ("Greek",),
    "Austria": ("Austrian",),
    "Switzerland": ("Swiss",),
    "Czech Republic": ("Czech",),
    "Slovakia": ("Slovak",),
    "Bulgaria": ("Bulgarian",),
    "Serbia": ("Serbian",),
    "Croatia": ("Croatian",),
    "Belgium": ("Belgian",),
    "Ireland": ("Irish",),
    "Portugal": ("Portuguese",),
    "Mexico": ("Mexican",),
    "Brazil": ("Brazilian",),
    "Egypt": ("Egyptian",),
    "Saudi Arabia": ("Saudi",),
    "North Korea": ("North Korean",),
    "South Korea": ("South Korean",),
}

# Capitals that stand for their state when the state acts ("Moscow seeks assurances").
CAPITALS: dict[str, str] = {
    "Moscow": "Russia",
    "Kyiv": "Ukraine",
    "Kiev": "Ukraine",
    "Washington": "United States",
    "London": "United Kingdom",
    "Paris": "France",
    "Berlin": "Germany",
    "Warsaw": "Poland",
    "Beijing": "China",
    "Minsk": "Belarus",
    "Tokyo": "Japan",
    "Ankara": "Turkey",
    "Rome": "Italy",
    "Madrid": "Spain",
    "Ottawa": "Canada",
    "Oslo": "Norway",
    "Stockholm": "Sweden",
    "Helsinki": "Finland",
    "Tehran": "Iran",
    "Damascus": "Syria",
    "Baghdad": "Iraq",
    "Jerusalem": "Israel",
    "Tbilisi": "Georgia",
    "Chisinau": "Moldova",
    "Vilnius": "Lithuania",
    "Riga": "Latvia",
    "Tallinn": "Estonia",
    "Budapest": "Hungary",
    "Bucharest": "Romania",
    "Prague": "Czech Republic",
    "Pyongyang": "North Korea",
    "Seoul": "South Korea",
    "New Delhi": "India",
    "Islamabad": "Pakistan",
    "Cairo": "Egypt",
}

# Regions and seas named as places (not states).
REGIONS = frozenset(
    {
        "Europe",
        "Eastern Europe",
        "Western Europe",
        "Central Europe",
        "Asia",
        "Central Asia",
        "Africa",
        "Middle East",
        "Balkans",
        "Baltics",
        "Caucasus",
        "Scandinavia",
        "Black Sea",
        "Baltic Sea",
        "Mediterranean",
        "Arctic",
        "Donbas",
        "Crimea",
        "Latin America",
        "North America",
        "South America",
        "Pacific",
        "Atlantic",
        "Indo-Pacific",
    }
)
PLACE_HEADS = frozenset(
    {
        "val",
        "mount",
        "mt.",
        "lake",
        "cape",
        "port",
        "fort",
        "saint",
        "st.",
        "san",
        "santa",
        "sierra",
        "rio",
        "monte",
        "puerto",
        "bay",
        "gulf",
        "isle",
        "river",
        "north",
        "south",
        "east",
        "west",
        "upper",
        "lower",
        "new",
    }
)
"""First words that make a two-word name a place ('Val Serena', 'Port Aldo')."""

# Spellings the press uses for one name (transliterations): folded to one key when linking.
SPELLINGS: tuple[tuple[str, ...], ...] = (
    ("kyiv", "kiev"),
    ("kharkiv", "kharkov"),
    ("odesa", "odessa"),
    ("lviv", "lvov"),
    ("zelenskyy", "zelensky", "zelenskiy", "zelenski"),
    ("sergey", "sergei"),
    ("oleksiy", "oleksii", "alexei"),
    ("united states", "u.s.", "us", "america", "united states of america"),
    ("united kingdom", "u.k.", "uk", "britain", "great britain"),
    ("russia", "russian federation"),
)

# Words at the end of a name that say what kind of thing it names.
KIND_WORDS: dict[str, EntityKind] = {
    **dict.fromkeys(
        (
            "ministry",
            "council",
            "office",
            "department",
            "parliament",
            "cabinet",
            "government",
            "kremlin",
            "pentagon",
            "white house",
            "agency",
            "commission",
            "committee",
            "senate",
            "duma",
            "rada",
            "service",
            "guard",
            "directorate",
            "secretariat",
            "assembly",
            "court",
        ),
        EntityKind.GOVERNMENT_BODY,
    ),
    **dict.fromkeys(
        (
            "technologies",
            "technology",
            "inc",
            "inc.",
            "corp",
            "corp.",
            "corporation",
            "company",
            "co.",
            "ltd",
            "ltd.",
            "group",
            "industries",
            "airlines",
            "bank",
            "energy",
            "gas",
            "oil",
            "systems",
            "labs",
            "plc",
            "holdings",
            "gazprom",
            "exchange",
            "imaging",
            "analytics",
            "aerospace",
            "dynamics",
            "data",
            "geodata",
            "fisheries",
            "mining",
            "petroleum",
            "steel",
            "motors",
            "foods",
            "satellites",
            "space",
            "telecom",
            "logistics",
            "shipping",
            "airways",
        ),
        EntityKind.COMPANY,
    ),
    **dict.fromkeys(
        (
            "news",
            "press",
            "times",
            "post",
            "tv",
            "television",
            "radio",
            "broadcasting",
            "network",
            "journal",
            "herald",
            "telegraph",
            "tribune",
            "gazette",
            "wire",
            "daily",
            "channel",
            "media",
            "reuters",
            "bbc",
            "cnn",
            "cbs",
            "nbc",
            "abc",
            "interfax",
            "tass",
            "ria",
            "afp",
            "dpa",
            "newsweek",
            "monitor",
            "observer",
            "chronicle",
            "dispatch",
            "bulletin",
            "courier",
            "press agency",
            "news agency",
            "press service",
        ),
        EntityKind.MEDIA_OUTLET,
    ),
    **dict.fromkeys(
        (
            "alliance",
            "nato",
            "union",
            "nations",
            "organization",
            "organisation",
            "pact",
            "treaty organization",
            "osce",
            "un",
            "u.n.",
            "eu",
            "e.u.",
            "league",
            "bloc",
            "council of europe",
            "commonwealth",
            "partnership",
            "community",
            "fund",
            "imf",
            "bank group",
            "compact",
            "coalition",
            "accord",
            "concord",
            "entente",
        ),
        EntityKind.INTERNATIONAL_ORGANISATION,
    ),
    **dict.fromkeys(
        (
            "army",
            "forces",
            "force",
            "navy",
            "brigade",
            "division",
            "battalion",
            "regiment",
            "corps",
            "fleet",
            "troops",
            "military",
            "guards",
            "command",
            "militia",
            "marines",
            "units",
            "air force",
            "coast guard",
            "border guard",
            "general staff",
        ),
        EntityKind.MILITARY_FORCE,
    ),
    **dict.fromkeys(
        (
            "city",
            "region",
            "province",
            "oblast",
            "district",
            "river",
            "sea",
            "island",
            "islands",
            "peninsula",
            "mountains",
            "valley",
            "square",
            "street",
            "base",
            "airport",
            "port",
            "border",
            "crossing",
            "strait",
            "bay",
            "gulf",
            "county",
            "territory",
            "zone",
            "shoal",
            "reef",
            "channel",
            "pass",
            "ridge",
            "range",
            "plateau",
            "delta",
            "atoll",
            "archipelago",
            "coast",
            "basin",
            "heights",
            "hills",
            "garrison",
        ),
        EntityKind.PLACE,
    ),
}


@dataclass(frozen=True)
class Trigger:
    """A word or phrase that signals an event: its kind, CAMEO code, and how it speaks."""

    kind: EventKind
    cameo: str | None
    speech: bool = False
    """A speech act (said, warned): the speaker is its actor; a clause it introduces is the
    content, asserted on the speaker's word."""
    tense: str = "past"
    """'past' or 'future' or 'present': how the form places the event (for weekday dates)."""
    note: str | None = None
    """Why there is no code, when ``cameo`` is None."""
    needs_object: bool = False
    """Only an event when an entity follows as its object (``met with X``)."""
    continues: bool = False
    """Not an event: more of what the last speaker said ('…, saying …', '…, adding …')."""
    context: str | None = None
    """A pattern the sentence must hold for the form to be this trigger ('climbed' is a
    market movement only in a sentence about markets or a currency)."""


def _tense(form: str) -> str:
    words = form.split()
    first = words[0]
    if first in ("will", "to", "plans", "planned", "would") or (
        first in ("is", "are", "was", "were") and len(words) > 1 and words[1] == "to"
    ):
        return "future"
    if first.endswith("ing") or (first.endswith("s") and not first.endswith("ss")):
        return "present"
    return "past"


def _forms(kind: EventKind, cameo: str | None, forms: str, **kw: bool | str) -> dict[str, Trigger]:
    return {
        form: Trigger(kind, cameo, tense=_tense(form), **kw)  # type: ignore[arg-type]
        for form in (f.strip() for f in forms.split("|"))
    }


_NOT_POLITICAL = "not an interaction between political actors"

TRIGGERS: dict[str, Trigger] = {
    # speech acts
    **_forms(
        EventKind.STATEMENT,
        "010",
        "said|says|say|stated|told|tells|added|adds|noted|notes|argued|argues|"
        "explained|explains|replied|replies|remarked|commented|declared|insisted|insists|"
        "reiterated|reiterates|stressed|stresses|emphasized|emphasised|acknowledged|"
        "indicated|indicates|suggested|wrote|posted|tweeted",
        speech=True,
    ),
    **_forms(
        EventKind.STATEMENT, "013", "praised|welcomed|hailed|downplayed|expressed hope", speech=True
    ),
    **_forms(
        EventKind.STATEMENT,
        "012",
        "expressed skepticism|expressed concern|questioned|"
        "cautioned|lamented|feared|fears|expressed alarm",
        speech=True,
    ),
    **_forms(
        EventKind.WARNING,
        "012",
        "warned|warns|warning of|issued a warning|"
        "issued warnings|issue warnings|issued a similar warning",
        speech=True,
    ),
    **_forms(
        EventKind.DENIAL, "016", "denied|denies|deny|rejected claims|dismissed claims", speech=True
    ),
    **_forms(
        EventKind.STATEMENT, "111", "criticized|criticised|condemned|denounced|slammed", speech=True
    ),
    **_forms(EventKind.STATEMENT, "112", "accused|accuses", speech=True),
    **_forms(EventKind.ANNOUNCEMENT, "010", "announced|announces", speech=True),
    **_forms(
        EventKind.DEMAND,
        "1042",
        "demanded|demands|demanding|requested|requests|insisted that",
        speech=True,
    ),
    **_forms(
        EventKind.APPEAL,
        "020",
        "urged|urges|called on|calls on|called for|calls for|appealed|appeals|asked|asks",
        speech=True,
    ),
    **_forms(EventKind.OFFER, "036", "offered to discuss|offered talks|offered to meet"),
    **_forms(EventKind.OFFER, "030", "offered|offers|pledged|pledges|promised|promises"),
    **_forms(
        EventKind.PROPOSAL,
        "014",
        "proposed|proposes|floated|suggested shelving|pointed at a possibility",
    ),
    **_forms(
        EventKind.REPORT,
        None,
        "reported|reports|reporting",
        speech=True,
        note="a report of observations, not an interaction between political actors",
    ),
    # meetings
    **_forms(
        EventKind.MEETING,
        "040",
        "met|meets|met with|meet with|sat down with|"
        "held talks with|hold talks with|talked with|spoke with|conferred with",
        needs_object=True,
    ),
    **_forms(
        EventKind.MEETING,
        "036",
        "to meet|will meet|plans to meet|planned to meet|"
        "is to meet|was to meet|would meet|are to meet|to hold talks|will hold talks",
        needs_object=True,
    ),
    **_forms(
        EventKind.MEETING,
        "041",
        "phoned|spoke by phone|phone call|telephoned|called",
        needs_object=True,
    ),
    **_forms(EventKind.MEETING, "043", "hosted|hosts|welcomed"),
    **_forms(
        EventKind.VISIT,
        "042",
        "visited|visits|arrived in|traveled to|travelled to|"
        "flew to|was in|were in|was also in|trip to|visit to",
    ),
    **_forms(EventKind.TALKS, "046", "negotiated|negotiations|talks|negotiating"),
    # force posture
    **_forms(
        EventKind.DEPLOYMENT,
        "154",
        "deployed|deploys|deploying|massed|amassed|"
        "stationed|sent|sends|dispatched|placing|placed|reinforced|mobilized|mobilised|"
        "build-up|buildup|arrival",
    ),
    **_forms(
        EventKind.TROOP_MOVEMENT,
        "150",
        "moved|moving|moves|advanced|advancing|"
        "rolled|headed|heading|relocated|forming convoys|convoys",
    ),
    **_forms(
        EventKind.WITHDRAWAL,
        "0874",
        "withdrew|withdraws|withdrawing|withdrawal|"
        "pulled back|pulling back|pull back|pulling out|pulled out|returning to bases|"
        "returned to bases|return to bases|retreated",
    ),
    **_forms(EventKind.MILITARY_EXERCISE, "150", "drills|exercises|maneuvers|manoeuvres"),
    **_forms(
        EventKind.MILITARY_ACTION,
        "190",
        "invade|invaded|invasion|invading|attack|attacked|"
        "attacks|offensive|shelled|shelling|struck|strikes|bombed|fired",
    ),
    **_forms(EventKind.STATEMENT, "163", "imposed sanctions|sanctioned|imposes sanctions"),
    # the rest: no interaction between political actors
    **_forms(
        EventKind.MARKET_MOVEMENT,
        None,
        "pushed world markets|markets rose|markets fell|rallied|tumbled|slumped",
        note=_NOT_POLITICAL,
    ),
    **_forms(
        EventKind.CIVIL_PREPARATION,
        None,
        "bought|stockpiled|shelters|bomb shelter|evacuated|evacuation",
        note=_NOT_POLITICAL,
    ),
    # More forms, from reading the dev articles (evaluation/dev)
    **_forms(
        EventKind.DEPLOYMENT,
        "154",
        "massing|began massing|would remain|remain|remained|to station|station|stationing|"
        "arrived at|had arrived at|have arrived|had arrived",
    ),
    **_forms(
        EventKind.WITHDRAWAL,
        "0874",
        "return to their bases|returning to their bases|going back to their bases|"
        "went back to their bases|return to base|returning to|going back to|"
        "pull its forces back|pull their forces back|pull back|pulled back|withdraw",
    ),
    **_forms(
        EventKind.STATEMENT,
        "012",
        "voiced skepticism|voiced concern|voiced doubt|voiced alarm",
        speech=True,
    ),
    **_forms(
        EventKind.DEMAND,
        "1042",
        "wants assurances|seeks assurances|sought assurances|demand that|demanded that|"
        "repeated its demand|repeated his demand|repeated her demand",
        speech=True,
    ),
    **_forms(EventKind.APPEAL, "020", "urging|calling on|appealing to", speech=True),
    **_forms(
        EventKind.REPORT,
        None,
        "to report|first to report|images released|released images|images show|photos show",
        note="a report of observations, not an interaction between political actors",
    ),
    **_forms(EventKind.MEETING, "040", "meeting|emergency session|summit"),
    **_forms(
        EventKind.MEETING,
        "036",
        "due to meet|is due to meet|are due to meet|to hold talks|will hold talks",
        needs_object=False,
    ),
    **_forms(
        EventKind.TROOP_MOVEMENT,
        "150",
        "leaving|abandoning|moved closer|moving closer|edging closer|had moved",
    ),
    **_forms(EventKind.VISIT, "042", "travel to|will travel to|to visit|will visit|traveled to"),
    **_forms(
        EventKind.MARKET_MOVEMENT,
        None,
        "lifted world markets|lifted markets|lifted the ruble",
        note=_NOT_POLITICAL,
    ),
    **_forms(EventKind.STATEMENT, "013", "played down|plays down|downplays", speech=True),
    **_forms(
        EventKind.OBSERVANCE,
        "017",
        "day of national unity|day of mourning|day of remembrance|national holiday",
    ),
    **_forms(
        EventKind.STATEMENT,
        None,
        "saying|adding|insisting|noting|arguing|explaining|stressing",
        continues=True,
    ),
    **_forms(EventKind.DEPLOYMENT, "154", "positioned|has positioned|parked|massed near"),
    **_forms(
        EventKind.MEETING,
        "040",
        "sitting down with|sat down with|played host to|hosting",
        needs_object=True,
    ),
    **_forms(
        EventKind.MEETING,
        "036",
        "due to see|was due to see|is due to see|to see|will see",
        needs_object=True,
    ),
    **_forms(EventKind.VISIT, "042", "went to|goes to|headed to|flew into"),
    **_forms(EventKind.WITHDRAWAL, "0874", "come home|will come home|return home|returned home"),
    **_forms(
        EventKind.DEMAND,
        "1042",
        "is seeking assurances|seeking assurances|seeks guarantees|demanded guarantees|"
        "demands guarantees|wants guarantees",
        speech=True,
    ),
    **_forms(
        EventKind.MARKET_MOVEMENT,
        None,
        "climbed|rose|fell|jumped|dropped|slid|rallied|tumbled|surged|gained|lifted|pushed",
        note=_NOT_POLITICAL,
        context=r"\b(?:markets?|stocks?|shares|ruble|rouble|currency|bonds?|index|mark|"
        r"dollar|euro|hryvnia|prices)\b",
    ),
    **_forms(
        EventKind.WITHDRAWAL,
        "0874",
        "returned to|had returned to|have returned to|went back to|moved back to",
    ),
    **_forms(
        EventKind.STATEMENT,
        "120",
        "rejected|rejects|refused|refuses|refusing|turned down|dismissed",
    ),
}
"""Trigger forms, lowercase, matched on word boundaries (longest form first)."""
