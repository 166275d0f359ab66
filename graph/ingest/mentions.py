"""Who an article names: mentions of entities, grouped into the entities they refer to.

A rule-based reader for wire copy, following ``docs/codebook.md`` (section 2, co-reference):

- **Names** are runs of capitalised words (``Foreign Minister Zbigniew Rau of Poland``). A run is
  taken apart into a demonym or state (``German``, ``Poland``), a title (``Chancellor``) and the
  name itself; a title before a name makes a person and a ``holds_position`` relation.
- **Linking**: a name is first looked up among the graph's labels and aliases (and their other
  spellings, ``Kiev``/``Kyiv``, ``Zelensky``/``Zelenskyy``); what the graph does not hold is
  proposed as a new entity, never linked to an outside identifier.
- **Kinds** come from the graph, then from the words around the name: a title or an honorific
  makes a person, the last word (``Ministry``, ``News``, ``Technologies``, ``Alliance``,
  ``Army``) an organisation of that kind, a country name or a demonym a state, a preposition of
  place (``in``, ``near``) a place.
- **Co-reference**: a surname alone is the person named in full; "the Russian leader",
  "Ukraine's leader" is the person the article (or the graph) gives a head-of-state title of
  that state; "the minister" the last person with that title; descriptions the article never
  ties to a name stay unnamed entities ("An American defense official"), and "the official"
  is the last of them.

Offsets always point into the original text; matching runs on the folded view
(:func:`graph.ingest.text.fold`).
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

import pycountry

from graph.ingest.lexicon import (
    CAPITALS,
    DEMONYMS,
    HEAD_TITLES,
    HONORIFICS,
    KIND_WORDS,
    PLACE_HEADS,
    REGIONS,
    SPELLINGS,
    TITLES,
)
from graph.ingest.text import Sentence
from graph.ontology import EntityKind
from graph.store import GraphStore

__all__ = ["Cluster", "Mention", "Mentions", "find_mentions", "name_key"]


@dataclass
class Mention:
    """One place in the text that refers to an entity."""

    start: int
    end: int
    cluster: str
    rule: str
    role_hint: str = ""
    """'subject' for a name before its verb, 'place' after a preposition of place."""


@dataclass
class Cluster:
    """One entity as the article refers to it."""

    key: str
    label: str
    kind: EntityKind
    rule: str
    confidence: float
    linked: str | None = None
    """Id of the graph entity it is, when the graph holds it."""
    unnamed: bool = False
    aliases: set[str] = field(default_factory=set)
    mentions: list[Mention] = field(default_factory=list)
    titles: list[tuple[str, str | None, int, int]] = field(default_factory=list)
    """(title, cluster key of the state or body, start, end of the quote)."""
    state: str | None = None
    """Cluster key of the state it belongs to (a demonym, 'of Poland', a title's state)."""


@dataclass
class Mentions:
    """Every cluster, and every mention in text order."""

    clusters: dict[str, Cluster] = field(default_factory=dict)
    ordered: list[Mention] = field(default_factory=list)

    def at(self, start: int, end: int) -> list[Mention]:
        """Mentions inside ``[start, end)``, in text order (``ordered`` must be sorted)."""
        first = bisect.bisect_left(self.ordered, start, key=lambda m: m.start)
        out = []
        for m in self.ordered[first:]:
            if m.start >= end:
                break
            if m.end <= end:
                out.append(m)
        return out


# -- names ------------------------------------------------------------------------------------

_INSIDE = "\u0300-\u036f\u200b-\u200d\u2060\u00ad"
"""Characters that may sit inside a word without ending it: combining accents (a name in
decomposed form) and invisible joiners or soft hyphens (pasted from web pages)."""
_INVISIBLE = "\u200b-\u200d\u2060\u00ad\ufeff"
_TOKEN = (
    rf"(?:(?<![\w.-])(?:[A-Z]\.){{2,6}}|(?<![\w-])[A-Z][\w’'\-{_INSIDE}]{{0,60}}"
    rf"(?![\w’'\-{_INSIDE}])(?:\.(?=\s+[A-Z]))?)"
)
_RUN = re.compile(rf"{_TOKEN}(?:\s+(?:(?:of|for|and|de|von|van|al|the)\s+)?{_TOKEN})*")

_NOT_NAMES = frozenset(
    [
        "a",
        "an",
        "the",
        "it",
        "its",
        "it’s",
        "this",
        "that",
        "these",
        "those",
        "there",
        "their",
        "they",
        "them",
        "he",
        "she",
        "his",
        "her",
        "we",
        "our",
        "us",
        "i",
        "you",
        "your",
        "but",
        "and",
        "or",
        "so",
        "yet",
        "however",
        "still",
        "also",
        "as",
        "if",
        "when",
        "while",
        "after",
        "before",
        "today",
        "tomorrow",
        "yesterday",
        "one",
        "two",
        "three",
        "some",
        "many",
        "most",
        "all",
        "any",
        "each",
        "both",
        "other",
        "others",
        "another",
        "over",
        "under",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "from",
        "with",
        "without",
        "about",
        "according",
        "reacting",
        "despite",
        "although",
        "though",
        "since",
        "because",
        "meanwhile",
        "instead",
        "then",
        "now",
        "here",
        "where",
        "what",
        "which",
        "who",
        "why",
        "how",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "jan",
        "feb",
        "mar",
        "apr",
        "aug",
        "sept",
        "sep",
        "oct",
        "nov",
        "dec",
        "western",
        "eastern",
        "northern",
        "southern",
        "european",
        "western’s",
        "no",
        "not",
        "yes",
        "mr",
        "mrs",
        "ms",
        "dr",
        "sen",
        "gen",
        "lt",
        "col",
        "capt",
        "maj",
        "adm",
        "rep",
        "gov",
        "photo",
        "photos",
        "video",
        "related",
        "show",
        "more",
        "back",
        "top",
        "read",
        "watch",
        "listen",
        "advertisement",
        "story",
        "report",
        "tv",
        "soviet",
        "small",
        "large",
        "new",
        "old",
        "several",
        "few",
        "much",
        "more",
        "less",
        "other",
        "such",
        "each",
        "every",
        "both",
        "first",
        "second",
        "third",
        "last",
        "next",
        "latest",
        "later",
        "earlier",
        "early",
        "late",
        "only",
        "just",
        "even",
        "also",
        "still",
        "meanwhile",
        "nevertheless",
        "instead",
        "however",
        "moreover",
        "furthermore",
        "despite",
        "although",
        "though",
        "while",
        "since",
        "until",
        "unless",
        "because",
        "whether",
        "after",
        "before",
        "during",
        "within",
        "without",
        "among",
        "between",
        "against",
        "toward",
        "towards",
        "across",
        "above",
        "below",
        "under",
        "over",
        "near",
        "around",
        "about",
        "nearly",
        "almost",
        "satellite",
        "images",
        "photos",
        "video",
        "officials",
        "troops",
        "forces",
        "soldiers",
        "residents",
        "people",
        "analysts",
        "experts",
        "diplomats",
        "talks",
        "negotiations",
        "asked",
        "speaking",
        "asked",
        "answering",
        "according",
        "following",
        "amid",
        "letters",
        "signs",
        "flags",
        "markets",
        "prices",
        "as",
        "at",
        "by",
        "in",
        "on",
        "of",
        "for",
        "from",
        "into",
        "onto",
        "upon",
        "with",
        "yes",
        "no",
        "not",
        "neither",
        "nor",
    ]
)

_MODIFIERS = frozenset(
    {
        "demonym or state before a name",
        "state of a title",
        "state in a description",
        "state of a group",
        "state of an unnamed actor",
        "state in an appositive title",
        "state after a title",
    }
)
"""Mentions of a state inside another entity's description ('Russian' in 'Russian troops'):
evidence for the state, never the actor or target of an event themselves."""

_PLACE_PREPOSITIONS = (
    "in",
    "near",
    "to",
    "from",
    "at",
    "outside",
    "inside",
    "across",
    "toward",
    "towards",
    "into",
    "around",
    "visited",
    "visit",
    "of",
)
_SPEECH_AFTER = re.compile(
    r"^\s*(?:has |had |have |also |later |then |again )?(?:said|says|told|stated|added|noted|"
    r"warned|argued|explained|replied|wrote|insisted|denied|urged|called|asked|reiterated|"
    r"announced|downplayed|questioned|expressed|issued|met|visited)\b"
)
_POSSESSIVE = re.compile(r"[’']s?$")


def _strip(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def name_key(name: str) -> str:
    """A key that other spellings of one name share: case, accents, doubled letters and the
    y/i of transliterations folded; known press spellings (``Kiev``) mapped to one.

    Examples
    --------
    >>> name_key("Zelensky") == name_key("Zelenskyy") == name_key("Zelenskiy")
    True
    >>> name_key("Kiev") == name_key("Kyiv")
    True
    >>> name_key("Russia") == name_key("Belarus")
    False
    """
    low = _strip(name).lower().replace("’", "'")
    low = re.sub(r"'s$", "", low).strip(" .,'")
    for variants in SPELLINGS:
        if low in variants:
            return "=" + variants[0]
    low = re.sub(r"[^a-z0-9 ]", "", low)
    low = low.replace("iy", "y").replace("ii", "y").replace("ie", "y").replace("i", "y")
    return re.sub(r"(.)\1+", r"\1", low)


@cache
def _countries() -> dict[str, str]:
    """Country names (ISO 3166-1, through pycountry) by :func:`name_key`, to the name geokg
    uses for the state (the demonym table's, else pycountry's common or short name)."""
    ours = {name_key(state): state for state in DEMONYMS}
    names: dict[str, str] = dict(ours)
    for country in pycountry.countries:
        forms = [getattr(country, a, None) for a in ("name", "common_name", "official_name")]
        keys = [name_key(f) for f in forms if f]
        canonical = next((ours[k] for k in keys if k in ours), None)
        canonical = canonical or getattr(country, "common_name", None) or country.name
        for k in keys:
            names.setdefault(k, canonical)
    return names


@cache
def _demonyms() -> dict[str, str]:
    out: dict[str, str] = {}
    for state, forms in DEMONYMS.items():
        for form in forms:
            out[form.lower()] = state
    return out


_TITLE_BEFORE = re.compile(
    r"(?:(?P<state>[A-Z][\w’']+)\s+)?(?P<title>(?:[a-z\-]+\s+){0,5}?(?:"
    + "|".join(re.escape(t) for t in TITLES if t[0].isalpha())
    + r"))\s*,?\s*$"
)
"""A lower-case title just before a name ('security and defense council chief Oleksiy')."""
_TITLE_RE = re.compile(
    r"(?<![\w-])(" + "|".join(re.escape(t) for t in TITLES) + r")(?![\w-])", re.IGNORECASE
)


def _first_part(word: str) -> str:
    """A word as the stop list sees it: lowercase, without quotes or a contraction."""
    return re.split(r"[’']", word.lower().strip("“”\"'’‘,"))[0]


def _kind_from_words(name: str) -> EntityKind | None:
    low = name.lower()
    words = low.split()
    if not words:
        return None
    if name in REGIONS:
        return EntityKind.PLACE
    if words[0].startswith(("radio", "televis", "tele-")):
        return EntityKind.MEDIA_OUTLET
    if (
        len(words) >= 2
        and words[0] in PLACE_HEADS
        and words[0] not in ("new", "north", "south", "east", "west")
    ):
        return EntityKind.PLACE
    for size in (3, 2, 1):
        tail = " ".join(words[-size:])
        if tail in KIND_WORDS:
            return KIND_WORDS[tail]
    head = words[0]
    if head in KIND_WORDS and KIND_WORDS[head] in (
        EntityKind.INTERNATIONAL_ORGANISATION,
        EntityKind.MEDIA_OUTLET,
    ):
        return KIND_WORDS[head]
    return None


# -- the reader -------------------------------------------------------------------------------


class _Reader:
    def __init__(self, text: str, folded: str, store: GraphStore | None) -> None:
        self.text = text
        self.folded = folded
        self.store = store
        self.out = Mentions()
        self.by_key: dict[str, str] = {}
        """name_key of every name and alias seen -> cluster key."""
        self.last_person: str | None = None
        self.last_unnamed: dict[str, str] = {}
        self.local_states: dict[str, str] = {}
        """Names the article uses as states, and their demonyms, by lowercase form -> name."""
        self.last_forces: dict[str, str] = {}
        self.lower_words = set(re.findall(r"(?<![\w-])[a-z][\w-]*", folded))
        self.inner_caps = set(re.findall(r"(?<=[a-z,;:)]\s)(?:the\s+)?([A-Z][\w’'-]+)", folded))
        """Capitalised words the text writes inside a sentence: a name, not a sentence's
        first word."""
        self.place_words = set(
            re.findall(
                r"\b(?:in|to|from|near|outside|into|toward|towards)\s+([A-Z][\w’'-]+)", folded
            )
        )
        """Capitalised words the text writes after a preposition of place."""
        """Every word the text writes in lower case (a capitalised one among them starts a
        sentence, it is no name)."""
        self.pending: list[tuple[Cluster, str, int, int]] = []
        """Descriptions ('Ukraine’s leader') whose person the article names only later."""

    # clusters

    def cluster(
        self,
        label: str,
        kind: EntityKind,
        rule: str,
        confidence: float,
        *,
        unnamed: bool = False,
        place_of_state: bool = False,
    ) -> Cluster:
        label = unicodedata.normalize("NFC", re.sub(f"[{_INVISIBLE}]", "", label))
        key = ("place:" if place_of_state else "") + name_key(label)
        found = self.by_key.get(key)
        if found is not None:
            c = self.out.clusters[found]
            if c.kind != kind and confidence > c.confidence:
                c.kind, c.rule, c.confidence = kind, rule, confidence
            c.aliases.add(label)
            return c
        linked = self.link(label, kind)
        c = Cluster(key, label, kind, rule, confidence, unnamed=unnamed)
        if linked is not None:
            c.linked, c.kind = linked
            c.rule, c.confidence = "linked by name", max(confidence, 0.9)
        c.aliases.add(label)
        self.out.clusters[key] = c
        self.by_key[key] = key
        return c

    def link(self, label: str, kind: EntityKind | None) -> tuple[str, EntityKind] | None:
        """The graph's entity of that name (or another spelling of it), preferring the kind
        the context suggests."""
        if self.store is None:
            return None
        candidates = list(self.store.entities_named(label))
        if not candidates:
            key = name_key(label)
            variants = next((v for v in SPELLINGS if "=" + v[0] == key), ())
            for variant in variants:
                candidates += self.store.entities_named(variant)
            if not candidates and len(label) >= 5:
                for match in self.store.search_matches(label[: max(4, len(label) - 3)]):
                    if name_key(match.name) == key:
                        candidates.append(match.id)
        entities = []
        for node_id in dict.fromkeys(candidates):
            if self.store.type_of(node_id) == "entity":
                entities.append((node_id, EntityKind(self.store.entity(node_id).kind)))
        if not entities:
            return None
        for node_id, found in entities:
            if found == kind:
                return node_id, found
        return entities[0]

    def mention(self, c: Cluster, start: int, end: int, rule: str, hint: str = "") -> Mention:
        if rule in _MODIFIERS:
            hint = "modifier"
        m = Mention(start, end, c.key, rule, hint)
        c.mentions.append(m)
        self.out.ordered.append(m)
        if c.kind == EntityKind.PERSON and not c.unnamed:
            self.last_person = c.key
        return m

    # reading

    def read(self, sentences: Iterable[Sentence]) -> Mentions:
        said = list(sentences)
        self.local_states = _local_states(self.folded, said)
        for s in said:
            self.sentence(s)
        for state, title, a, b in self.pending:
            person = self.holder(state, title)
            if person is None:
                person = self.holder_without_state(title)
            if person is not None:
                self.mention(person, a, b, f"description: {title} of {state.label}, named later")
        self.out.ordered.sort(key=lambda m: (m.start, -m.end))
        return self.out

    def sentence(self, s: Sentence) -> None:
        taken: list[tuple[int, int]] = []
        for start, end in self.descriptions(s):
            taken.append((start, end))
        for match in _RUN.finditer(s.text):
            a, b = s.start + match.start(), s.start + match.end()
            if any(a < te and b > ts for ts, te in taken):
                continue
            self.run(s, a, b)

    def descriptions(self, s: Sentence) -> list[tuple[int, int]]:
        """Unnamed actors and descriptions of named ones; returns the spans they took."""
        spans: list[tuple[int, int]] = []
        for pattern, handler in (
            (_LEADER, self.leader),
            (_BODY, self.body),
            (_FORCES, self.forces),
            (_UNNAMED, self.unnamed),
            (_GROUP, self.group),
            (_WHERE, self.where),
            (_RESIDENTS, self.residents),
        ):
            for match in pattern.finditer(s.text):
                a, b = s.start + match.start(), s.start + match.end()
                if any(a < te and b > ts for ts, te in spans):
                    continue
                if handler(match, a, b):
                    spans.append((a, b))
        return spans

    def state_from(self, word: str, at: int) -> Cluster | None:
        """A state from a demonym or a state's name (possessive stripped)."""
        bare = _POSSESSIVE.sub("", word.strip())
        state = _demonyms().get(bare.lower()) or self.local_states.get(bare.lower())
        if state is None:
            state = _countries().get(name_key(bare))
            if state is None:
                key = self.by_key.get(name_key(bare))
                if key and self.out.clusters[key].kind == EntityKind.STATE:
                    return self.out.clusters[key]
                return self.derived_state(bare)
            state = bare
        c = self.cluster(state, EntityKind.STATE, "state name or demonym", 0.9)
        return c

    def derived_state(self, word: str) -> Cluster | None:
        """A state the article names whose demonym this word is (``Varnian`` for Varnia)."""
        low = word.lower()
        if not low.endswith(("an", "ian", "ese", "ish", "i")) or len(low) < 5:
            return None
        for key in list(self.out.clusters):
            c = self.out.clusters[key]
            if c.kind == EntityKind.STATE and low.startswith(
                c.label.lower()[: max(4, len(c.label) - 2)]
            ):
                return c
        return None

    def leader(self, match: re.Match[str], a: int, b: int) -> bool:
        """'the Russian leader', 'Ukraine’s leader', 'Russia’s foreign minister'."""
        state = self.state_from(match.group("state"), a)
        if state is None:
            return False
        title = match.group("title").lower()
        state_end = a + match.end("state") - match.start()
        if match.group("state").endswith(("’s", "'s")):
            state_end -= 2
        self.mention(
            state, a + match.start("state") - match.start(), state_end, "state in a description"
        )
        person = self.holder(state, title)
        if person is None:
            self.pending.append((state, title, a, b))
            return True
        self.mention(person, a, b, f"description: {title} of {state.label}")
        return True

    def holder(self, state: Cluster, title: str) -> Cluster | None:
        heads = HEAD_TITLES if title in ("leader", "head") else {title}
        for c in self.out.clusters.values():
            for t, of, _, _ in c.titles:
                if of == state.key and t in heads:
                    return c
        if self.store is not None and state.linked is not None:
            people = {
                person
                for relation in ("holds_position", "head_of")
                for person in self.store.neighbours_by(state.linked, "in", relation)
            }
            edges = [e for p in sorted(people) for e in self.store.edges_between(p, state.linked)]
            for edge in edges:
                if edge.category != "relation" or edge.type not in ("holds_position", "head_of"):
                    continue
                held = str(
                    edge.attributes.get("title", "leader" if edge.type == "head_of" else "")
                ).lower()
                if held in heads or (edge.type == "head_of" and title in ("leader", "head")):
                    person = self.store.entity(edge.source)
                    c = self.cluster(person.label, EntityKind.PERSON, "linked by title", 0.8)
                    return c
        return None

    def holder_without_state(self, title: str) -> Cluster | None:
        """The one person the article gives this title without saying of which state."""
        found = [
            c
            for c in self.out.clusters.values()
            if any(t == title and of is None for t, of, *_ in c.titles)
        ]
        return found[0] if len(found) == 1 else None

    def unnamed(self, match: re.Match[str], a: int, b: int) -> bool:
        noun = match.group("noun").lower()
        if re.search(r"[A-Z][\w’'-]*,\s*$", self.folded[max(0, a - 40) : a]) and (
            match.group("det").lower() in ("the", "a", "an")
        ):
            return False  # 'Elin Marstrand, the foreign minister of Estavia': her title
        words = self.text[a:b]
        if match.group("det").lower() == "the" and noun in self.last_unnamed:
            c = self.out.clusters[self.last_unnamed[noun]]
            self.mention(c, a, b, "description of an unnamed actor named before")
            return True
        label = re.sub(r"^(?:an?|the|his|her|their|its)\s+", "", words, flags=re.IGNORECASE)
        if match.group("det").lower() == "the" and not match.group("state"):
            for c in reversed(list(self.out.clusters.values())):
                if any(t == label.lower() for t, *_ in c.titles):
                    self.mention(c, a, b, f"the {label}: the last person with that title")
                    return True
        kind = EntityKind.PERSON
        c = self.cluster(label, kind, "unnamed description", 0.6, unnamed=True)
        c.unnamed = True
        self.mention(c, a, b, "unnamed description")
        self.last_unnamed[noun] = c.key
        if match.group("state"):
            state = self.state_from(match.group("state"), a)
            if state is not None:
                c.state = state.key
                at = a + match.start("state") - match.start()
                self.mention(
                    state,
                    at,
                    at + len(_POSSESSIVE.sub("", match.group("state"))),
                    "state of an unnamed actor",
                )
        return True

    def body(self, match: re.Match[str], a: int, b: int) -> bool:
        """A state's body named in lower case: 'Ukraine’s security and defense council', 'the
        Kestrian president’s security cabinet' (linked as 'Ukrainian security ...' too)."""
        state = self.state_from(match.group("state"), a)
        if state is None:
            return False
        words = " ".join(match.group("body").split())
        demonyms = [
            d for d, st in {**_demonyms(), **self.local_states}.items() if st == state.label
        ]
        names = [f"{d.capitalize()} {words}" for d in demonyms if not d.isupper() and "." not in d]
        names.append(f"{state.label}’s {words}")
        c = None
        for name in names:
            linked = self.link(name, EntityKind.GOVERNMENT_BODY)
            if linked is not None:
                c = self.cluster(name, EntityKind.GOVERNMENT_BODY, "a state's body", 0.8)
                break
        if c is None:
            c = self.cluster(names[0], EntityKind.GOVERNMENT_BODY, "a state's body", 0.7)
        c.state = state.key
        self.mention(c, a, b, "a state's body")
        at = a + match.start("state") - match.start()
        self.mention(
            state, at, at + len(_POSSESSIVE.sub("", match.group("state"))), "state of a group"
        )
        return True

    def residents(self, match: re.Match[str], a: int, b: int) -> bool:
        """'residents of Kiev': the people of a place as a group (the place is a mention)."""
        place = match.group("place")
        label = f"{place} residents"
        c = self.cluster(label, EntityKind.GROUP, "people of a place", 0.6, unnamed=True)
        c.unnamed = c.linked is None
        self.mention(c, a, b, "people of a place")
        at = a + match.start("place") - match.start()
        sentence = Sentence(at, at + len(place), self.folded[at : at + len(place)])
        self.run(sentence, at, at + len(place))
        return True

    def where(self, match: re.Match[str], a: int, b: int) -> bool:
        """A place the article describes without a name, where forces go or come from
        ('returning to bases', 'out of large assembly areas', 'close to Ukraine’s border'):
        an unnamed place; the same words later are the same place."""
        start = a + match.start("place") - match.start()
        words = " ".join(self.folded[start:b].split())
        owner = match.group("owner")
        state = self.state_from(owner, start) if owner else None
        if owner and state is None:
            return False  # 'Tarsk’s roads' and the like: not a place we can tie to a state
        label = re.sub(r"^(?:the|their|its|his|her|a|an)\s+", "", words, flags=re.IGNORECASE)
        if state is not None:
            label = f"{state.label}’s {label.split(' ', 1)[1]}" if " " in label else label
        c = self.cluster(label, EntityKind.PLACE, "a place described", 0.5, unnamed=True)
        c.unnamed = c.linked is None
        if state is not None:
            c.state = state.key
            at = a + match.start("owner") - match.start()
            self.mention(state, at, at + len(_POSSESSIVE.sub("", owner)), "state of a group")
        self.mention(c, start, b, "a place described", "place")
        return True

    def forces(self, match: re.Match[str], a: int, b: int) -> bool:
        """Forces the article counts or describes without a name ('about 2,500 Varenian
        troops', 'some units taking part in military drills'); 'the vehicles' is the last of
        them with that noun."""
        noun = match.group("noun").lower()
        det = match.group("det").lower()
        if (
            det in ("the", "those", "these")
            and not match.group("mods")
            and noun in self.last_forces
        ):
            self.mention(self.out.clusters[self.last_forces[noun]], a, b, "forces named before")
            return True
        words = self.folded[a:b]
        label = re.sub(r"^(?:some|the|those|these)\s+", "", words, flags=re.IGNORECASE)
        c = self.cluster(label, EntityKind.MILITARY_FORCE, "forces described", 0.6, unnamed=True)
        c.unnamed = c.linked is None
        self.mention(c, a, b, "forces described")
        self.last_forces[noun] = c.key
        for word in (match.group("mods") or "").split():
            state = self.state_from(word, a) if word[:1].isupper() else None
            if state is not None:
                c.state = state.key
                at = a + words.find(word)
                self.mention(state, at, at + len(_POSSESSIVE.sub("", word)), "state of a group")
                break
        return True

    def group(self, match: re.Match[str], a: int, b: int) -> bool:
        who = match.group("who")
        noun = match.group("noun").lower()
        kind = (
            EntityKind.GROUP
            if noun in _PEOPLE_GROUPS
            else EntityKind.MEDIA_OUTLET
            if noun in ("state television", "state media")
            else EntityKind.MILITARY_FORCE
        )
        label = _POSSESSIVE.sub("", who) + " " + match.group("noun")
        if who.endswith(("’s", "'s")):
            label = self.text[a:b]
        c = self.cluster(label, kind, "group of people", 0.7, unnamed=True)
        if c.linked is None:
            c.unnamed = True
        self.mention(c, a, b, "group")
        state = self.state_from(who, a)
        if state is not None:
            c.state = state.key
            self.mention(state, a, a + len(who), "state of a group")
        return True

    def run(self, s: Sentence, a: int, b: int) -> None:
        """A run of capitalised words: split off demonyms and titles, then the name."""
        words = [(m.start() + a, m.end() + a) for m in re.finditer(r"\S+", self.folded[a:b])]
        # leading function words at the start of a sentence or quotation
        while (
            words
            and _first_part(self.folded[words[0][0] : words[0][1]]) in _NOT_NAMES
            and self.folded[words[0][0] : b].strip(" ’'s") not in REGIONS
            and not (
                len(words) > 1
                and _first_part(self.folded[words[0][0] : words[0][1]]) in _DIRECTIONS
            )
        ):
            words.pop(0)
        honorific = ""
        while words and self.folded[words[0][0] : words[0][1]].lower() in HONORIFICS:
            honorific = self.folded[words[0][0] : words[0][1]].lower()
            words.pop(0)
        if not words:
            return
        a = words[0][0]
        segment = self.folded[a:b]
        joined = re.search(r"\s+and\s+", segment)
        if joined is not None and _countries().get(name_key(segment)) is None:
            # 'Lisaria and Korvenia': two names ('Trinidad and Tobago' is one country)
            self.run(s, a, a + joined.start())
            self.run(s, a + joined.end(), b)
            return
        before = self.folded[max(s.start, a - 60) : a]
        state: Cluster | None = None
        # a demonym or state first ('German Chancellor Olaf Scholz', 'Russian Defense Ministry')
        first = self.folded[words[0][0] : words[0][1]]
        title_match = _TITLE_RE.search(self.folded, a, b + 1)
        if len(words) > 1:
            maybe = self.state_from(first, a)
            if maybe is not None and (
                (title_match is not None and title_match.start() == words[1][0])
                or _kind_from_words(segment) is not None
            ):
                state = maybe
                self.mention(
                    state,
                    words[0][0],
                    words[0][1] - (1 if first.endswith("’s") else 0),
                    "demonym or state before a name",
                )
                if title_match is None or title_match.start() != words[1][0]:
                    self.organisation(s, a, b, state)
                    return
                words.pop(0)
                a = words[0][0]
        # an organisation before a title ('Aurelian Compact Secretary-General Bruno Castellan')
        if (
            state is None
            and title_match is not None
            and title_match.start() > a
            and title_match.end() < b
            and _kind_from_words(self.folded[a : title_match.start()].strip()) is not None
        ):
            org_end = a + len(self.folded[a : title_match.start()].rstrip())
            state = self.organisation(s, a, org_end, None)
            words = [w for w in words if w[0] >= title_match.start()]
            a = words[0][0]
        # a title before the name, in the run or just before it ('security ... chief Oleksiy')
        title: str | None = None
        title_span = (a, a)
        m = _TITLE_RE.match(self.folded, a, b)
        if m is not None:
            title = m.group(1).lower()
            title_span = (m.start(), m.end())
            rest = [w for w in words if w[0] >= m.end()]
            if not rest:
                return
            words = rest
            a = words[0][0]
        else:
            lower_title = _TITLE_BEFORE.search(before)
            if lower_title is not None and lower_title.group("title").split()[-1].lower() in {
                t.split()[-1] for t in TITLES
            }:
                title = lower_title.group("title").lower()
                offset = a - len(before)
                title_span = (
                    offset + lower_title.start("title"),
                    offset + lower_title.end("title"),
                )
                if lower_title.group("state"):
                    state = self.state_from(lower_title.group("state"), offset)
                    if state is not None:
                        self.mention(
                            state,
                            offset + lower_title.start("state"),
                            offset
                            + lower_title.start("state")
                            + len(_POSSESSIVE.sub("", lower_title.group("state"))),
                            "state of a title",
                        )
                        title_span = (offset + lower_title.start("state"), title_span[1])
        # 'of Poland' after the name
        name_end = words[-1][1]
        of = re.search(r"\s+of\s+(\S+)$", self.folded[a:name_end])
        known = self.state_from(of.group(1), a) if of is not None else None
        if of is not None and (title is not None or known is not None):
            st = known
            if st is None and _kind_from_words(of.group(1)) is None:
                st = self.cluster(
                    _POSSESSIVE.sub("", of.group(1)),
                    EntityKind.STATE,
                    "a state named after a title ('of Poland')",
                    0.6,
                )
            if st is not None:
                state = st
                self.mention(st, a + of.start(1), a + of.end(1), "state after a title")
                name_end = a + of.start()
        name = self.folded[a:name_end]
        name_text = self.text[a:name_end]
        if name.endswith(("’s", "'s")):
            name_end -= 2
            name_text = self.text[a:name_end]
            name = self.folded[a:name_end]
        if not name.strip(" ,.") or name.lower().strip(".") in _NOT_NAMES or len(name) > 120:
            return  # no name is that long: a run of capitals in a shouted or pasted line
        if name == "West" and before.rstrip().lower().endswith("the"):
            c = self.cluster("the West", EntityKind.GROUP, "the West", 0.7)
            self.mention(c, a - 4, name_end, "the West")
            return
        at_start = a == s.start + len(s.text) - len(s.text.lstrip("“\"‘'( ")) or bool(
            re.search(r"[“\"‘(]\s*$", self.folded[max(s.start, a - 3) : a])
        )
        if (
            " " not in name
            and at_start
            and (
                name.lower() in self.lower_words
                or (
                    name not in self.inner_caps
                    and not _SPEECH_AFTER.match(self.folded[name_end : name_end + 30])
                    and self.link(name, None) is None
                    and _countries().get(name_key(name)) is None
                    and name.lower() not in self.local_states
                    and name not in CAPITALS
                    and _demonyms().get(name.lower()) is None
                )
            )
        ):
            return  # a common word that starts the sentence ('Satellite images show')
        place_noun = _PLACE_NOUN.match(self.folded, name_end)
        if place_noun is not None and title is None:
            end = place_noun.end()
            c = self.cluster(self.folded[a:end], EntityKind.PLACE, "a name and a place noun", 0.7)
            self.mention(c, a, end, "a name and a place noun")
            return
        if not honorific and before.strip():
            honorific = before.rstrip().split()[-1].lower()
        if title is None:
            after = _APPOSITIVE.match(self.folded, name_end)
            if after is not None:
                title = after.group("title").lower()
                title_span = (a, after.end())
                if after.group("of") and after.group("of")[0].isupper():
                    of_name = _POSSESSIVE.sub("", after.group("of"))
                    kind = _kind_from_words(of_name)
                    body = (
                        self.organisation(
                            s, after.start("of"), after.start("of") + len(of_name), None
                        )
                        if kind is not None
                        else self.state_from(of_name, name_end)
                        or self.cluster(
                            of_name, EntityKind.STATE, "a state named after a title", 0.6
                        )
                    )
                    if kind is None:
                        self.mention(
                            body,
                            after.start("of"),
                            after.start("of") + len(of_name),
                            "state after a title",
                        )
                    state = body
                elif after.group("state"):
                    state = self.state_from(after.group("state"), name_end)
                    if state is not None:
                        self.mention(
                            state,
                            after.start("state"),
                            after.end("state"),
                            "state in an appositive title",
                        )
        if title is not None or honorific in HONORIFICS:
            c = self.person(
                name, name_text, a, name_end, "title before a name" if title else "honorific"
            )
            if title is not None and title not in ("leader", "head"):
                c.titles.append((title, state.key if state else None, title_span[0], name_end))
                if state is not None:
                    c.state = state.key
            return
        self.named(name, name_text, a, name_end, before)

    def person(self, name: str, text: str, a: int, b: int, rule: str) -> Cluster:
        surname = name.rsplit(maxsplit=1)[-1]
        c = self.cluster(name, EntityKind.PERSON, rule, 0.9)
        if len(name.split()) > 1:
            self.by_key.setdefault(name_key(surname), c.key)
        self.mention(c, a, b, rule)
        return c

    def organisation(self, s: Sentence, a: int, b: int, state: Cluster | None) -> Cluster:
        name = self.folded[a:b]
        if name.endswith(("’s", "'s")):
            b -= 2
            name = name[:-2]
        kind = _kind_from_words(name) or EntityKind.ORGANISATION
        c = self.cluster(self.text[a:b], kind, "organisation word", 0.8)
        if state is not None and c.state is None:
            c.state = state.key
        self.mention(c, a, b, "organisation word")
        return c

    def named(self, name: str, text: str, a: int, b: int, before: str) -> None:
        key = name_key(name)
        prev_word = before.rstrip().split()[-1].lower() if before.strip() else ""
        place_context = prev_word in _PLACE_PREPOSITIONS
        hint = "place" if place_context else ""
        # known in this article already (a surname, an alias)
        if re.search(r"\bcapital,?\s*$|\bcapital of\s*$", before):
            place_context, hint = True, "place"
        capital_of = CAPITALS.get(name)
        if capital_of is not None and not place_context:
            c = self.cluster(capital_of, EntityKind.STATE, "a capital standing for its state", 0.8)
            c.aliases.add(text)
            self.mention(c, a, b, "a capital standing for its state")
            return
        found = self.by_key.get(key)
        if found is not None:
            c = self.out.clusters[found]
            if place_context and c.linked is None and c.rule == "a name with no other clue":
                c.kind, c.rule, c.confidence = EntityKind.PLACE, "after a preposition of place", 0.6
            if place_context and c.kind == EntityKind.STATE and c.rule.startswith("a capital"):
                city = self.cluster(
                    name, EntityKind.PLACE, "a capital as a place", 0.7, place_of_state=True
                )
                self.mention(city, a, b, "a capital as a place", hint)
                return
            self.mention(c, a, b, "named before in the article", hint)
            return
        word_kind = _kind_from_words(name)
        country = _countries().get(key)
        demonym_state = _demonyms().get(name.lower()) or self.local_states.get(name.lower())
        if demonym_state is not None:
            c = self.cluster(demonym_state, EntityKind.STATE, "demonym", 0.85)
            self.mention(c, a, b, "demonym", hint)
            return
        if word_kind is not None:
            kind, rule, conf = word_kind, "organisation word", 0.8
        elif name.isupper() and name.endswith("TV"):
            kind, rule, conf = EntityKind.MEDIA_OUTLET, "a broadcaster's name", 0.7
        elif country is not None:
            kind, rule, conf = EntityKind.STATE, "country name (ISO 3166-1, pycountry)", 0.9
        elif place_context:
            kind, rule, conf = EntityKind.PLACE, "after a preposition of place", 0.6
        elif re.search(
            r"^\s*[’']s\s+(?:foreign|defense|defence|prime|president|government|army|"
            r"military|troops|forces|border|borders|capital|leader|leaders|ambassador|"
            r"ministry|parliament|embassy)",
            self.folded[b : b + 40],
        ):
            kind, rule, conf = EntityKind.STATE, "possessive of a state's office", 0.7
        elif " " not in name and name in self.place_words:
            kind, rule, conf = EntityKind.PLACE, "named after a preposition of place elsewhere", 0.6
        elif len(name.split()) >= 2:
            kind, rule, conf = EntityKind.PERSON, "a two- or three-word name", 0.6
        elif _SPEECH_AFTER.match(self.folded[b : b + 30]):
            kind, rule, conf = EntityKind.PERSON, "a name before a verb of speech", 0.5
        elif name.lower().endswith(("ia", "land", "stan")):
            kind, rule, conf = EntityKind.STATE, "a name shaped like a state's", 0.4
        else:
            kind, rule, conf = EntityKind.ORGANISATION, "a name with no other clue", 0.3
        linked = self.link(name, kind)
        if linked is not None and linked[1] != kind and not place_context:
            kind = linked[1]
        if kind == EntityKind.PERSON:
            self.person(name, text, a, b, rule)
            return
        c = self.cluster(name, kind, rule, conf)
        self.mention(c, a, b, rule, hint)


_APPOSITIVE = re.compile(
    r"\s*(?:\(|,\s*(?:the\s+|a\s+)?)(?:(?-i:(?P<state>[A-Z][\w.’']+))\s+)?(?P<title>"
    + "|".join(re.escape(t) for t in TITLES if t[0].isalpha())
    + r")\b(?:\s+of\s+(?:the\s+)?(?-i:(?P<of>[A-Z][\w’']+(?:\s+[A-Z][\w’']+)?)))?",
    re.IGNORECASE,
)
_DIRECTIONS = frozenset({"northern", "southern", "eastern", "western", "central"})
"""Words that start a longer name ('Southern Seas Maritime Council') and are kept there."""
_PEOPLE_GROUPS = frozenset(
    {
        "delegation",
        "officials",
        "leaders",
        "diplomats",
        "lawmakers",
        "residents",
        "authorities",
        "negotiators",
        "allies",
        "intelligence officials",
        "defense officials",
    }
)
_OFFICE_OF_STATE = re.compile(
    r"(?<![\w’'-])([A-Z][a-z]{3,40})[’']s\s+(?:president|prime minister|foreign minister|"
    r"defen[cs]e minister|"
    r"government|army|military|troops|forces|border|borders|capital|ambassador|parliament|"
    r"leader|leaders|foreign ministry|defen[cs]e ministry|navy|air force)\b"
    r"|\b(?:Republic|Kingdom|Federation|State|Principality) of ([A-Z][a-z]{3,})\b"
    r"|(?<![\w’'-])([A-Z][a-z]{3,40})\s+(?:foreign\s+ministry|defen[cs]e\s+ministry|government|"
    r"embassy|navy|coast\s+guard|parliament|prime\s+minister|armed\s+forces)\b"
)


def _local_states(folded: str, sentences: Iterable[Sentence]) -> dict[str, str]:
    """Names the article treats as states though no table knows them (an invented or rare
    state): a name with a demonym beside it (``Varenia`` and ``Varenian``), or one whose
    president, army or border the text names (``Kestria's foreign minister``). Maps the
    lowercase name and demonym to the name."""
    words: set[str] = set()
    found: dict[str, str] = {}
    for s in sentences:
        words.update(re.findall(r"(?<![\w’'-])[A-Z][a-z]{3,}(?![\w-])", s.text))
        for m in _OFFICE_OF_STATE.finditer(s.text):
            name = m.group(1) or m.group(2) or m.group(3)
            if name.lower() not in _NOT_NAMES and _kind_from_words(name) is None:
                found[name.lower()] = name
    for name in words:
        if name.lower() in _NOT_NAMES or _kind_from_words(name) is not None:
            continue
        stem = name[: max(4, len(name) - 1)]
        for other in words:
            if (
                other != name
                and other.startswith(stem)
                and other.endswith(("ian", "an", "ese", "ish", "ic", "i"))
                and len(other) > len(name) - 1
            ):
                found[name.lower()] = name
                found[other.lower()] = name
    for name in list(found.values()):
        for other in words:
            if (
                other != name
                and other.startswith(name[: max(4, len(name) - 1)])
                and other.endswith(("ian", "an", "ese", "ish", "ic", "i"))
            ):
                found[other.lower()] = name
    return found


_PLACE_NOUN = re.compile(
    r"\s+(?:region|province|district|oblast|area|valley|river|border region|peninsula|"
    r"mountains|county|airfield|air base|base|port|harbor|harbour|range|garrison|pass|shoal|"
    r"reef|strait|channel|coast|plateau|delta|ridge)\b"
)
_STATE_WORD = r"(?P<state>(?:(?<![\w’'.-])[A-Z][\w’']{0,40}|U\.S\.|U\.K\.)(?:’s|'s)?)"
_LEADER = re.compile(
    rf"\b(?:the\s+)?{_STATE_WORD}\s+(?P<title>leader|president|prime minister|chancellor|"
    r"foreign minister|defense minister|defence minister|foreign secretary)(?!\s+[A-Z])\b"
)
_UNNAMED = re.compile(
    r"\b(?P<det>[Aa]n?|[Tt]he|[Hh]is|[Hh]er|[Tt]heir|[Ii]ts)\s+(?:(?:senior|top|high-ranking|local|"
    r"other|second|unnamed|western|Western|European)\s+)*(?:(?P<state>[A-Z][\w.’']+)\s+)?"
    r"(?:(?:defense|defence|military|intelligence|government|administration|security|foreign|"
    r"state|ministry|police|health|energy|senior|top|local|city|regional|alliance|nato|NATO|"
    r"u\.n\.|U\.N\.|european|western|border|army|navy)\s+)*(?P<noun>official|officer|diplomat|"
    r"spokesman|spokeswoman|spokesperson|source|commander|analyst|mayor|minister|envoy|"
    r"counterpart|aide|adviser|advisor|resident|witness|lawmaker)\b(?!\s+[A-Z])"
)
_BODY = re.compile(
    r"(?:\b[Tt]he\s+)?(?<![\w’'.-])(?P<state>[A-Z][\w’']{0,40})\s+(?P<body>(?:[a-z-]+\s+){0,4}?(?:council|ministry|"
    r"parliament|cabinet|security cabinet|government|office|agency|committee|service))\b"
    r"(?!\s+[A-Z])"
)
_RESIDENTS = re.compile(
    r"\b(?:[Rr]esidents|[Cc]itizens|[Ii]nhabitants|[Pp]eople)\s+of\s+"
    r"(?P<place>(?<![\w’'-])[A-Z][\w’'-]{0,40})"
)
_WHERE = re.compile(
    r"\b(?:to|into|from|out\s+of|near|along|at|in|toward|towards|outside|across|close\s+to|"
    r"back\s+to)\s+(?P<place>(?:(?:the|their|its|his|her)\s+)?(?:(?P<owner>[A-Z][\w’']{0,40}"
    r"[’']s)\s+)?(?:(?!and\b|of\b|take\b|up\b|set\b|make\b)[a-z][\w-]{0,30}\s+){0,2}?"
    r"(?:bases|base|barracks|garrisons|"
    r"garrison|borders|border|frontier|assembly\s+areas|staging\s+areas|forward\s+areas|"
    r"positions|airfields|airfield|air\s+base|rail\s+yard|training\s+grounds?|depots?|camps?))"
    r"\b(?!\s+(?:town|city|region|guards?|crossing)\b)"
)
_FORCES = re.compile(
    r"\b(?P<det>[Ss]ome|[Tt]he|[Tt]hose|[Tt]hese|[Ss]mall numbers of|(?:[Aa]bout|[Mm]ore than|"
    r"[Nn]early|[Aa]t least|[Ss]ome|[Aa]pproximately)\s+[0-9][0-9,.]*(?:\s+(?:thousand|million))?|"
    r"[0-9][0-9,.]*)\s+(?P<mods>(?:(?!and\b|of\b|in\b)[\w’'-]+\s+){0,2}?)(?P<noun>units|troops|"
    r"forces|soldiers|vehicles|armored vehicles|tanks|paratroopers|planes|aircraft|battalions|"
    r"combat units|ground forces|warships|jets|helicopters)\b"
    r"(?:\s+(?:taking part|that had taken part|that took part|involved) in (?:[\w-]+\s+){0,2}?"
    r"(?:drills|exercises))?"
)
_GROUP = re.compile(
    r"(?<![\w.’'-])(?P<who>(?:[A-Z][\w.’']{0,40})(?:\s+[A-Z][\w.’']{0,40})?)\s+"
    r"(?P<noun>officials|leaders|diplomats|delegation|state television|state media|"
    r"lawmakers|residents|troops|forces|soldiers|military|army|authorities|negotiators|"
    r"allies|intelligence officials|defense officials|paratroopers|tanks|armored vehicles|"
    r"armoured vehicles|artillery battalions|battalions|warships|jets|units|navy|air force)\b"
)


def find_mentions(
    text: str, folded: str, sentences: Iterable[Sentence], store: GraphStore | None
) -> Mentions:
    """Read the mentions of entities in the sentences, linked to the graph where it can.

    Examples
    --------
    >>> from graph.ingest.text import boilerplate, fold, sentences
    >>> text = "T\\n\\nGerman Chancellor Olaf Scholz met Vladimir Putin. Scholz said so.\\n"
    >>> found = find_mentions(text, fold(text), sentences(text, boilerplate(text, "T")), None)
    >>> sorted((c.label, c.kind.value, len(c.mentions)) for c in found.clusters.values())
    [('Germany', 'state', 1), ('Olaf Scholz', 'person', 2), ('Vladimir Putin', 'person', 1)]
    """
    return _Reader(text, folded, store).read(sentences)
