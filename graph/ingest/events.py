"""What an article says happened: events from the trigger lexicon, with roles, modality,
dates and quantities, by the rules of ``docs/codebook.md``.

For each sentence (outside quotation marks: a quotation is what a speaker said, and its
words are the speaker's, not events the article reports):

- a **trigger** (:data:`graph.ingest.lexicon.TRIGGERS`, longest form first) makes an event of
  its kind and CAMEO code (or none, with the reason);
- the **actor** is the nearest entity mentioned before the trigger in its clause (a pronoun
  is the last person or actor named), or the speaker after a quotation (``“…,” Lavrov
  said``); the **target** or the other side of a meeting the first entity after it; a name
  after ``in``/``near`` is the **place**;
- a **speech act** (said, warned, denied, reported) is ``occurred`` in the article's voice and
  its clause is its content: an event there is ``asserted`` on the speaker's word
  (``according_to``), ``reported`` when the speaker is an outlet, company or unnamed official
  (``reported_by`` for outlets and companies), ``possible`` when warned of, ``denied`` when
  denied;
- **modal words** before a trigger (``planned to``, ``will``) make it ``planned``; ``could``,
  ``may``, ``threat of`` make it ``possible``; a **negation** (``not``, ``n't``, ``never``)
  drops the event: it is never stored as its positive;
- **dates** by :mod:`graph.dates`: a weekday by tense (AP style), ``this week``, days of the
  month, ``a day after`` relative to the sentence's first event, ``over the past few days``;
  anything else stays undated;
- **quantities** with their hedge and unit (``more than 130,000 soldiers``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from graph.dates import DateResolutionError, resolve_date, resolve_relative
from graph.ingest.lexicon import TRIGGERS, Trigger
from graph.ingest.mentions import Mention, Mentions
from graph.ingest.text import Sentence
from graph.model import EventDate
from graph.ontology import EntityKind, EventKind, Modality, QuantityQualifier

__all__ = ["FoundEvent", "FoundQuantity", "find_events"]


@dataclass
class FoundQuantity:
    """A number with its unit and hedge, and where it is."""

    start: int
    end: int
    value: float | None
    unit: str
    qualifier: QuantityQualifier
    measure: str


@dataclass
class FoundEvent:
    """An event read from one sentence, before it becomes a record."""

    kind: EventKind
    cameo: str | None
    cameo_note: str | None
    modality: Modality
    trigger: tuple[int, int]
    quote: tuple[int, int]
    rule: str
    confidence: float
    roles: list[tuple[str, str, Mention]] = field(default_factory=list)
    """(role, cluster key, the mention it rests on)."""
    date: EventDate | None = None
    date_span: tuple[int, int] | None = None
    anchor: int | None = None
    """Index of the event this one is dated from ('a day after'), with ``offset``."""
    offset: int = 0
    quantities: list[FoundQuantity] = field(default_factory=list)
    tense: str = "past"
    """The trigger form's tense ('future' for 'will meet', 'planned to meet')."""
    speaker_of: list[int] = field(default_factory=list)
    """Indexes of the events that are this speech act's content."""


_TRIGGER_RE = re.compile(
    r"(?<![\w-])("
    + "|".join(re.escape(t) for t in sorted(TRIGGERS, key=len, reverse=True))
    + r")(?![\w-])",
    re.IGNORECASE,
)
_QUOTES = re.compile(r"“[^”]*”?|\"[^\"]*\"?")
_CLAUSE_BREAK = re.compile(r";|—|:|,\s+(?:but|while|although|though|despite|as|and)\s+|\s+but\s+")
_CONTENT_END = re.compile(
    r";|\s+—\s+|,\s+(?:but|while|although|though|despite|whereas)\s+|\s+but\s+"
)
_OPEN_QUESTION = re.compile(
    r"(?:\b(?:unclear|not\s+(?:immediately\s+)?clear|not\s+known|unknown|no\s+word|"
    r"not\s+(?:say|said|specify|disclose|confirm)|declined\s+to\s+(?:say|specify))|"
    r"n[’']t\s+(?:immediately\s+)?(?:clear|known|say|said|specify|disclose|confirm))\b"
    r"[^.;]*\b(?:where|whether|how|if|what|when|why)\b",
    re.IGNORECASE,
)
_NEGATING = re.compile(
    r"\b(?:not\s+true|untrue|false|no\s+(?:evidence|sign|signs|indication|proof|plans?)|"
    r"(?:refused|refuses|refusing|failed|fails|failing|declined|declines|unable|yet|ceased|"
    r"stopped)\s+to|has\s+yet|have\s+yet|had\s+yet|no\s+longer|without|neither|nor|"
    r"doubts?\s+that|doubted\s+that|few\s+believe|nobody|no\s+one|hardly\s+anyone)\b[^.;]*$"
    r"|(?:^|[^\w’'])[Nn]o\s+(?:[\w’'-]+\s+){0,3}$",
    re.IGNORECASE,
)
"""Phrases that deny what follows in their clause ('refused to withdraw', 'has yet to pull
back', 'there is no evidence that Russia attacked', 'it is not true that …')."""
_NEGATION = re.compile(r"\b(?:not|never|no)\b|n[’']t\b", re.IGNORECASE)
_PLANNED = re.compile(
    r"\b(?:plan(?:s|ned)? to|will|is to|are to|was to|scheduled to|expected to|set to|"
    r"intends? to|going to|aims? to|due to)\s+(?:\w+\s+){0,2}$",
    re.IGNORECASE,
)
_PLANNED_AFTER = re.compile(
    r"(?:\s+[\w’'-]+){0,8}?\s+(?:has|have|had)?\s*(?:been\s+|is\s+|are\s+|was\s+|were\s+)"
    r"(?:scheduled|planned|set|due|expected)\b",
    re.IGNORECASE,
)
"""'A second round of talks … has been scheduled': planned, said after the noun."""
_WOULD = re.compile(r"\bwould\s+(?:\w+\s+){0,2}$", re.IGNORECASE)
"""'would' plans in the article's voice; in reported speech it is the past of 'will'."""
_POSSIBLE = re.compile(
    r"\b(?:could|may|might|can|threat of|danger of|risk of|fears? of|fears? that|possible|"
    r"possibility of|preparing to|prepare to|poised to|ready to)\s+(?:\w+\s+){0,2}$",
    re.IGNORECASE,
)
_THEIR_COUNTRY = re.compile(
    r"\b(?:his|her|their)\s+(?:own\s+)?(?:country|government|nation)\s+(?:\w+\s+){0,2}$",
    re.IGNORECASE,
)
_SECOND_PREDICATE = re.compile(r"^\s*(?:,\s*)?and\s+(?:then\s+|later\s+|also\s+)?$|\band\s+$")
_PASSIVE = re.compile(r"\b(?:was|were|been|being|is|are)\s+$", re.IGNORECASE)
_NOUN_SUBJECT = re.compile(r"\b([a-z][a-z-]{2,})\s+(?:have\s+|has\s+|had\s+)?$")
_NOT_SUBJECTS = frozenset(
    [
        "also",
        "later",
        "then",
        "again",
        "he",
        "she",
        "they",
        "it",
        "who",
        "which",
        "that",
        "and",
        "but",
        "repeatedly",
        "previously",
        "publicly",
        "privately",
        "reportedly",
        "separately",
        "officially",
        "has",
        "have",
        "had",
        "was",
        "were",
        "is",
        "are",
        "minister",
        "president",
        "chancellor",
        "secretary",
        "spokesman",
        "spokeswoman",
        "official",
        "mayor",
        "leader",
        "chief",
        "envoy",
        "ambassador",
        "general",
    ]
)
"""Words before a verb of speech that are no unnamed speaker: adverbs, auxiliaries, and the
titles whose holder the article names ('the minister said')."""
_PRONOUN = re.compile(r"\b(he|she|it|they)\s+$", re.IGNORECASE)
_WEEKDAY = re.compile(
    r"\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
    r"(?:\s+(?:morning|afternoon|evening|night))?\b"
)
_THIS_WEEK = re.compile(r"\bthis week\b", re.IGNORECASE)
_BEFORE = re.compile(
    r"\b(?:over|in) the (?:past|last) (?:few |several |two |three )?(?:days|weeks|"
    r"months)|\bin recent (?:days|weeks)\b|\bearlier this (?:month|year)\b",
    re.IGNORECASE,
)
_DAYS = re.compile(
    r"\b(?:on\s+)?(?:\((?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.\)\s*)?"
    r"[0-9]{1,2}(?:st|nd|rd|th)(?:\s+or\s+the\s+[0-9]{1,2}(?:st|nd|rd|th))?"
)
_YESTERDAY = re.compile(r"\byesterday\b", re.IGNORECASE)
_LAST_WEEK = re.compile(r"\blast week\b", re.IGNORECASE)
_MONTH_DAY = re.compile(
    r"\b(?:Jan(?:uary)?|Feb(?:ruary)?|March|Mar|April|Apr|May|June|Jun|July|Jul|August|Aug|"
    r"Sept(?:ember)?|Sep|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?\s+[0-9]{1,2}\b(?!\s*,?\s*[0-9]{3})"
)
_TODAY = re.compile(r"\btoday\b", re.IGNORECASE)
_BREAK_CHARS = "\n\r\x85\u2028\u2029"
_SUBJECT_DATE = re.compile(r"\s+(?:would|will|is|was|could|should)\b")
_DAY_AFTER = re.compile(r"\ba day (?:after|before)\b", re.IGNORECASE)
_QUANTITY = re.compile(
    r"(?P<hedge>more than|over|nearly|almost|about|approximately|around|roughly|some|at least|"
    r"up to|fewer than|less than|an estimated)?\s*"
    r"(?P<n>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+(?:\.[0-9]+)?)"
    r"(?:\s+(?P<mult>thousand|million))?\s+(?P<adj>(?:[a-z-]+\s+){0,2}?)"
    r"(?P<unit>troops|soldiers|servicemen|service members|personnel|tanks|aircraft|planes|jets|"
    r"helicopters|warships|ships|vessels|missiles|rockets|drones|sites|shelters|people|civilians|"
    r"refugees|hours|days|weeks|miles|kilometers|kilometres|battalions|battalion tactical groups|"
    r"vehicles|artillery pieces|units)\b",
    re.IGNORECASE,
)
_SMALL = re.compile(r"\bsmall numbers\b", re.IGNORECASE)
_UNITS = {
    "troops": "soldier",
    "soldiers": "soldier",
    "servicemen": "soldier",
    "service members": "soldier",
    "personnel": "soldier",
    "tanks": "tank",
    "aircraft": "aircraft",
    "planes": "aircraft",
    "jets": "aircraft",
    "helicopters": "helicopter",
    "warships": "ship",
    "ships": "ship",
    "vessels": "ship",
    "missiles": "missile",
    "rockets": "rocket",
    "drones": "drone",
    "sites": "site",
    "shelters": "shelter",
    "people": "person",
    "civilians": "person",
    "refugees": "person",
    "hours": "hour",
    "days": "day",
    "weeks": "week",
    "miles": "mile",
    "kilometers": "kilometre",
    "kilometres": "kilometre",
    "battalions": "battalion",
    "battalion tactical groups": "battalion tactical group",
    "vehicles": "vehicle",
    "artillery pieces": "artillery piece",
    "units": "unit",
}
_HEDGES = {
    "more than": QuantityQualifier.MORE_THAN,
    "over": QuantityQualifier.MORE_THAN,
    "at least": QuantityQualifier.MORE_THAN,
    "nearly": QuantityQualifier.APPROXIMATELY,
    "almost": QuantityQualifier.APPROXIMATELY,
    "about": QuantityQualifier.APPROXIMATELY,
    "approximately": QuantityQualifier.APPROXIMATELY,
    "around": QuantityQualifier.APPROXIMATELY,
    "roughly": QuantityQualifier.APPROXIMATELY,
    "some": QuantityQualifier.APPROXIMATELY,
    "up to": QuantityQualifier.APPROXIMATELY,
    "fewer than": QuantityQualifier.APPROXIMATELY,
    "less than": QuantityQualifier.APPROXIMATELY,
    "an estimated": QuantityQualifier.APPROXIMATELY,
}
_OBSERVERS = (EntityKind.MEDIA_OUTLET, EntityKind.COMPANY)
_CONTENT_KINDS = frozenset(EventKind) - {EventKind.STATEMENT, EventKind.ANNOUNCEMENT}
"""Kinds of event that are events of their own when a speaker's clause holds them."""
_FORCE_KINDS = frozenset(
    {
        EventKind.DEPLOYMENT,
        EventKind.TROOP_MOVEMENT,
        EventKind.WITHDRAWAL,
        EventKind.MILITARY_EXERCISE,
    }
)


def _addressed(trig: Trigger) -> bool:
    """Speech acts addressed to someone, whose object is their target: warnings, appeals,
    demands, accusations and criticism. An audience ('told reporters') is no role."""
    return trig.kind in (EventKind.WARNING, EventKind.APPEAL, EventKind.DEMAND) or (
        trig.cameo is not None and trig.cameo[:2] in ("11", "13")
    )


_OBJECT_ROLES = {
    EventKind.MEETING: "participant",
    EventKind.TALKS: "participant",
    EventKind.VISIT: "place",
}


def _quoted(text: str, start: int, end: int) -> list[tuple[int, int]]:
    return [(start + m.start(), start + m.end()) for m in _QUOTES.finditer(text[start:end])]


def _inside(spans: list[tuple[int, int]], a: int, b: int) -> bool:
    return any(s <= a and b <= e for s, e in spans)


class _Reader:
    def __init__(self, text: str, folded: str, mentions: Mentions, published: dt.date) -> None:
        self.text = text
        self.folded = folded
        self.mentions = mentions
        self.published = published
        self.events: list[FoundEvent] = []
        self.last_actor: dict[str, str] = {}

    def kind_of(self, key: str) -> EntityKind:
        return self.mentions.clusters[key].kind

    def clause(self, s: Sentence, at: int) -> tuple[int, int]:
        start, end = s.start, s.end
        for m in _CLAUSE_BREAK.finditer(self.folded, s.start, s.end):
            if m.end() <= at:
                start = m.end()
            elif m.start() >= at:
                end = m.start()
                break
        return start, end

    def sentence(self, s: Sentence, quotes: list[tuple[int, int]]) -> None:
        found: list[tuple[int, int, Trigger]] = []
        for m in _TRIGGER_RE.finditer(self.folded, s.start, s.end):
            a, b = m.start(), m.end()
            if _inside(quotes, a, b):
                continue
            trig = TRIGGERS[m.group(1).lower()]
            if trig.context is not None and not re.search(
                trig.context, self.folded[s.start : s.end], re.IGNORECASE
            ):
                continue
            found.append((a, b, trig))
        mentions = [
            m
            for m in self.mentions.at(s.start, s.end)
            if not _inside(quotes, m.start, m.end) and m.role_hint != "modifier"
        ]
        first_index = len(self.events)
        speech: list[tuple[int, int, FoundEvent]] = []
        for a, b, trig in found:
            before = self.folded[max(s.start, a - 40) : a]
            c_start, c_end = self.clause(s, a)
            content: tuple[int, int] | None = None
            if trig.speech:
                content = self.content(s, b)
                c_end = content[1]
            owner = next((sp for sp in reversed(speech) if sp[0] <= a < sp[1]), None)
            if trig.continues:
                if speech:  # 'saying ...': more of what the last speaker said, plainly
                    start, end = self.content(s, b)
                    said = speech[-1][2]
                    plain = FoundEvent(
                        kind=EventKind.STATEMENT,
                        cameo=None,
                        cameo_note=None,
                        modality=Modality.OCCURRED,
                        trigger=(a, b),
                        quote=(a, b),
                        rule=said.rule,
                        confidence=said.confidence,
                        roles=said.roles,
                        speaker_of=said.speaker_of,
                    )
                    speech.append((start, end, plain))
                continue
            # An open question ('It wasn't clear where the troops were deployed') states
            # nothing happened.
            if _OPEN_QUESTION.search(self.folded[s.start : a]):
                continue
            # A negation before the trigger in its clause (or in the speaker's clause, for
            # content) denies it: never stored as its positive.
            scope = max(c_start, owner[0]) if owner is not None else max(c_start, a - 14)
            if (
                _NEGATION.search(self.folded[scope:a])
                or (not trig.speech and _NEGATING.search(self.folded[max(c_start, s.start) : a]))
                or (not trig.speech and re.match(r"\s+(?:no|none\s+of)\b", self.folded[b : b + 9]))
            ):
                continue
            event = self.event(s, a, b, trig, before, mentions, (c_start, c_end), owner)
            if event is None:
                continue
            self.events.append(event)
            if owner is not None:
                owner[2].speaker_of.append(len(self.events) - 1)
            if content is not None:
                speech.append((content[0], content[1], event))
        self.postposed(s, first_index)
        self.dates(s, first_index)
        self.quantities(s, first_index)

    def as_content(
        self, modality: Modality, speech: FoundEvent
    ) -> tuple[Modality, list[tuple[str, str, Mention]]]:
        """The modality and the attribution roles of an event a speech act reports: denied when
        denied, possible when warned of, reported from an outlet, company or unnamed source,
        else asserted on the speaker's word (codebook section 3)."""
        speaker = next((r for r in speech.roles if r[0] == "actor"), None)
        if speech.kind == EventKind.DENIAL:
            modality = Modality.DENIED
        elif speech.kind == EventKind.WARNING:
            modality = Modality.POSSIBLE
        elif (
            speaker is not None
            and (
                self.kind_of(speaker[1]) in _OBSERVERS or self.mentions.clusters[speaker[1]].unnamed
            )
        ) or speech.kind == EventKind.REPORT:
            modality = Modality.REPORTED
        elif modality in (Modality.OCCURRED, Modality.PLANNED):
            modality = Modality.ASSERTED
        if speaker is None:
            return modality, []
        observer = self.kind_of(speaker[1]) in _OBSERVERS
        return modality, [("reported_by" if observer else "according_to", speaker[1], speaker[2])]

    def postposed(self, s: Sentence, first: int) -> None:
        """'Varenia has moved 12,000 troops, the ministry said Thursday.': a speech act at the
        end of a sentence, after a comma, with nothing after it, reports what comes before."""
        events = self.events[first:]
        for speech in events:
            speaker = next((r for r in speech.roles if r[0] == "actor"), None)
            if not self.trigger_speaks(speech) or speaker is None:
                continue
            head = min(speaker[2].start, speech.trigger[0])
            rest = self.folded[speech.trigger[1] : s.end]
            if not re.fullmatch(
                r"(?:\s+(?:on\s+)?(?:\w+day|today|in a statement|on \w+|later|afterward)"
                r"(?:\s+\w+){0,3})?[\s.,”\"]*",
                rest,
            ) or not re.search(r"[,”]\s*(?:the\s+|a\s+|an\s+)?$", self.folded[s.start : head]):
                continue
            for index, event in enumerate(events):
                if event is speech or event.trigger[0] >= head or event.speaker_of:
                    continue
                if any(r[0] in ("according_to", "reported_by") for r in event.roles):
                    continue
                if event.kind not in _CONTENT_KINDS:
                    continue
                event.modality, said_by = self.as_content(event.modality, speech)
                event.roles += said_by
                event.rule += ", content of the speech act after it"
                speech.speaker_of.append(first + index)

    @staticmethod
    def trigger_speaks(event: FoundEvent) -> bool:
        return (
            event.kind
            in (
                EventKind.STATEMENT,
                EventKind.ANNOUNCEMENT,
                EventKind.REPORT,
                EventKind.DENIAL,
                EventKind.WARNING,
            )
            and event.rule.startswith("trigger")
            and ", content" not in event.rule
        )

    def content(self, s: Sentence, b: int) -> tuple[int, int]:
        """What a speech act at ``[a, b)`` says: from ``that`` (or a colon) when the sentence
        has one before its next main clause, else right after the verb; up to a new main
        clause (``, but``, ``;``) or the sentence's end. Words between the verb and ``that``
        (an audience, 'at a meeting') are the article's, not the speaker's."""
        end = s.end
        stop = _CONTENT_END.search(self.folded, b, s.end)
        if stop is not None:
            end = stop.start()
        that = re.search(r"\bthat\b|:", self.folded[b:end])
        return (b + that.end() if that else b), end

    def event(  # noqa: PLR0917 - one sentence's reading, passed along as it is
        self,
        s: Sentence,
        a: int,
        b: int,
        trig: Trigger,
        before: str,
        mentions: list[Mention],
        clause: tuple[int, int],
        owner: tuple[int, int, FoundEvent] | None,
    ) -> FoundEvent | None:
        c_start, c_end = clause
        if owner is not None:
            c_start = max(c_start, owner[0])
        left = [m for m in mentions if c_start <= m.start and m.end <= a]
        right = [m for m in mentions if b <= m.start and m.end <= c_end]
        roles: list[tuple[str, str, Mention]] = []
        actor = self.actor(s, a, left, right, trig)
        if actor is not None:
            first = self.coordinated(actor, left) if trig.kind in _OBJECT_ROLES else None
            if first is not None:  # 'X and his counterpart, Y, met': X acts, Y takes part
                roles.append(("actor", first.cluster, first))
                roles.append(("participant", actor.cluster, actor))
                actor = first
            else:
                roles.append(("actor", actor.cluster, actor))
        obj = next((m for m in right if m.role_hint != "place" or trig.kind in _OBJECT_ROLES), None)
        if trig.needs_object and obj is None:
            return None
        passive = _PASSIVE.search(self.folded[max(s.start, a - 30) : a])
        if actor is None and passive is not None and left:
            acted_on = left[-1]
            if re.fullmatch(
                r"\s*(?:has\s+|have\s+|had\s+)?",
                self.folded[acted_on.end : a - len(passive.group())],
            ):
                roles.append(("target", acted_on.cluster, acted_on))  # 'Russia was accused'
        if actor is None and obj is not None and re.search(r"\bby\s+$", self.folded[b : obj.start]):
            # 'images released by Orbis Imaging': the agent of a passive acts
            actor = obj
            roles.append(("actor", obj.cluster, obj))
            obj = next((m for m in right if m is not actor and m.role_hint != "place"), None)
        if obj is not None and (actor is None or obj.cluster != actor.cluster):
            gap = self.folded[b : obj.start]
            role = _OBJECT_ROLES.get(trig.kind, "target")
            if trig.kind in _FORCE_KINDS:
                # the forces a state moves take part; where they go is a place, no target
                role = (
                    "participant"
                    if self.kind_of(obj.cluster) == EntityKind.MILITARY_FORCE
                    else "place"
                    if re.search(
                        r"\b(?:near|to|into|in|along|at|outside|toward|towards)\s+"
                        r"(?:the\s+)?$",
                        gap,
                    )
                    else ""
                )
            if trig.speech and (
                not _addressed(trig)
                or not re.fullmatch(r"\s*(?:of\s+|on\s+|to\s+)?(?:the\s+)?", gap)
            ):
                role = ""  # whom a warning, appeal, demand or accusation is addressed to
            if role == "place" and self.kind_of(obj.cluster) not in (
                EntityKind.PLACE,
                EntityKind.STATE,
            ):
                role = "participant"
            if role and self.kind_of(obj.cluster) == EntityKind.PLACE:
                role = "place"  # a place is where, never whom
            if role:
                roles.append((role, obj.cluster, obj))
        for m in right:
            if any(r[0] == "place" for r in roles):
                break  # one place: where it happened
            if (
                m.role_hint == "place"
                and self.kind_of(m.cluster) == EntityKind.PLACE
                and m is not obj
            ):
                roles.append(("place", m.cluster, m))
                break
        kind, cameo = trig.kind, trig.cameo
        if (
            kind == EventKind.VISIT
            and actor is not None
            and (self.kind_of(actor.cluster) == EntityKind.MILITARY_FORCE)
        ):
            kind, cameo = EventKind.DEPLOYMENT, "154"  # forces arriving are deployed
        modality = Modality.OCCURRED
        rule = f"trigger {self.folded[a:b].lower()!r}"
        confidence = 0.7 if actor is not None else 0.45
        if (
            _PLANNED.search(before)
            or trig.tense == "future"
            or _PLANNED_AFTER.match(self.folded, b, s.end)
        ):
            modality = Modality.PLANNED
        elif _POSSIBLE.search(before):
            modality = Modality.POSSIBLE
        elif owner is None and _WOULD.search(before):
            modality = Modality.PLANNED
        if owner is not None:
            if kind not in _CONTENT_KINDS or owner[2].kind in (EventKind.DEMAND, EventKind.APPEAL):
                return None  # what is demanded or asked for has not happened: the demand is
            modality, said_by = self.as_content(modality, owner[2])
            roles += said_by
            rule += f", content of {self.folded[owner[2].trigger[0] : owner[2].trigger[1]]!r}"
            confidence -= 0.1
        cited = re.search(r"\bAccording to\b", self.folded[s.start : a], re.IGNORECASE)
        if cited is not None and owner is None:
            source = next(
                (m for m in mentions if m.start > s.start + cited.start() and m.end <= a), None
            )
            if source is not None:
                roles = [r for r in roles if r[2] is not source]
                roles.append(("according_to", source.cluster, source))
                modality = (
                    Modality.REPORTED
                    if self.mentions.clusters[source.cluster].unnamed
                    else Modality.ASSERTED
                )
        points = [a, b] + [r[2].start for r in roles] + [r[2].end for r in roles]
        if actor is None:
            points.append(self.clause_start(c_start, a))
        quote = (min(points), max(points))
        return FoundEvent(
            kind=kind,
            cameo=cameo,
            cameo_note=trig.note,
            modality=modality,
            trigger=(a, b),
            quote=quote,
            rule=rule,
            confidence=round(confidence, 2),
            roles=roles,
            tense="future"
            if trig.tense == "future" or _future(self.folded, s.start, a)
            else trig.tense,
        )

    def clause_start(self, start: int, a: int) -> int:
        """Where the words before a trigger begin in its clause (no leading 'that', quotes)."""
        lead = re.match(r"[\s“”\"‘’',]*(?:that\s+|and\s+|but\s+|while\s+)?", self.folded[start:a])
        return start + (lead.end() if lead else 0)

    def actor(
        self, s: Sentence, a: int, left: list[Mention], right: list[Mention], trig: Trigger
    ) -> Mention | None:
        """Who did it: the subject before the verb. In order: a pronoun just before the verb
        (its antecedent); 'his country' (the state of the person it refers to); the verb of a
        second predicate ('arrived … and met') shares the first one's subject; else the
        nearest entity before the verb that no preposition governs and that is no place;
        else, for speech, the speaker right after the verb ('“…,” said Lavrov')."""
        head = self.folded[max(s.start, a - 30) : a]
        if _PASSIVE.search(head) and self.folded[a:].split(maxsplit=1)[0].endswith("ed"):
            return None  # 'Russia was accused of …': the subject is acted on, not acting
        noun = _NOUN_SUBJECT.search(head)
        if trig.speech and noun is not None and noun.group(1) not in _NOT_SUBJECTS:
            at = a - len(head) + noun.start(1)
            if not any(m.start <= at < m.end for m in left):
                return None  # 'officials said': a speaker the article does not name
        pronoun = _PRONOUN.search(head)
        if pronoun is not None and len(head[pronoun.end() :].split()) <= 2:
            return self.antecedent(pronoun.group(1).lower(), a)
        country = _THEIR_COUNTRY.search(self.folded[max(s.start, a - 40) : a])
        if country is not None:
            person = self.antecedent("he", a)
            state = self.mentions.clusters[person.cluster].state if person else None
            if state is not None:
                at = a - len(self.folded[max(s.start, a - 40) : a]) + country.start()
                return Mention(at, at + len(country.group(0).rstrip()), state, "his country")
        if _SECOND_PREDICATE.search(head):
            for event in reversed(self.events):
                if event.trigger[0] < s.start:
                    break
                for role, _key, m in event.roles:
                    if role == "actor":
                        return m
        for m in reversed(left):
            gap = self.folded[m.end : a]
            if m.role_hint == "place" and len(gap.strip()) > 0:
                continue
            if self.kind_of(m.cluster) == EntityKind.PLACE:
                continue
            if re.search(
                r"\b(?:of|with|to|from|for|by|against|about|on|at|into|toward|towards)\s+"
                r"(?:the\s+)?$",
                self.folded[max(s.start, m.start - 12) : m.start],
            ):
                continue
            return m
        if (
            trig.speech
            and right
            and len(self.folded[a : right[0].start].split()) <= 1
            and re.search(r"[,”\"]\s*$", head)
        ):
            return right[0]  # '“…,” said Lavrov'
        return None

    def coordinated(self, m: Mention, left: list[Mention]) -> Mention | None:
        """The first of two subjects joined by 'and' ('Lev Tamarin and his Kestrian
        counterpart, Jonas Ekwall'), when ``m`` is the second."""
        for other in reversed([x for x in left if x.end <= m.start]):
            between = self.folded[other.end : m.start]
            if re.fullmatch(
                r"\s*,?\s*and\s+(?:(?:his|her|their|its)\s+)?(?:[\w’'-]+\s+){0,3}?"
                r"(?:[\w’'-]+,\s*)?",
                between,
            ):
                return other
            break
        return None

    def antecedent(self, pronoun: str, before: int) -> Mention | None:
        """What a pronoun stands for: the actor of the latest event that has one of its sort
        (a person for he and she, anything else for it and they), else the last such name."""
        people = pronoun in ("he", "she")
        for event in reversed(self.events):
            for role, key, m in event.roles:
                if (
                    role == "actor"
                    and m.start < before
                    and people == (self.kind_of(key) == EntityKind.PERSON)
                ):
                    return Mention(m.start, m.end, key, f"antecedent of {pronoun!r}", m.role_hint)
        for m in reversed(self.mentions.ordered):
            if m.start >= before:
                continue
            c = self.mentions.clusters[m.cluster]
            if people == (c.kind == EntityKind.PERSON):
                return Mention(m.start, m.end, m.cluster, f"antecedent of {pronoun!r}", m.role_hint)
        return None

    def dates(self, s: Sentence, first: int) -> None:
        events = self.events[first:]
        if not events:
            return
        spans: list[tuple[int, int, str]] = []
        for pattern, rule in (
            (_WEEKDAY, "weekday"),
            (_THIS_WEEK, "publication_week"),
            (_BEFORE, "before_publication"),
            (_DAYS, "days_of_month"),
            (_TODAY, "publication_day"),
            (_YESTERDAY, "day_before_publication"),
            (_LAST_WEEK, "week_before_publication"),
            (_MONTH_DAY, "month_day"),
            (_DAY_AFTER, "relative"),
        ):
            for m in pattern.finditer(self.folded, s.start, s.end):
                spans.append((m.start(), m.end(), rule))
        for a, b, found_rule in spans:
            rule = found_rule
            nearest = min(range(len(events)), key=lambda i: _distance(events[i], a, b, self.folded))
            event = events[nearest]
            if event.speaker_of and _SUBJECT_DATE.match(self.folded, b):
                # 'said Wednesday would be a day of national unity': the weekday is the
                # subject of what was said, not when it was said
                event = self.events[event.speaker_of[0]]
            if event.date is not None:
                continue
            expression = self.text[a:b]
            try:
                if rule == "relative":
                    if nearest == 0:
                        continue
                    event.anchor = first
                    event.offset = -1 if "after" in expression.lower() else 1
                    event.date_span = (a, b)
                    continue
                if rule == "weekday":
                    named = _WEEKDAY.match(self.folded, a)
                    assert named is not None
                    day = named.group().split()[0].lower()
                    if day == self.published.strftime("%A").lower():
                        rule = "publication_day"
                    elif re.search(r"\blast\s+$", self.folded[max(s.start, a - 8) : a]):
                        rule = "last_weekday"
                    elif (
                        event.modality == Modality.PLANNED
                        or event.tense == "future"  # the auxiliaries before its verb
                        or _future(self.folded, s.start, a)
                    ):
                        rule = "next_weekday"
                    else:
                        rule = "last_weekday"
                event.date = resolve_date(rule, expression, self.published)
                event.date_span = (a, b)
            except DateResolutionError:
                continue

    def quantities(self, s: Sentence, first: int) -> None:
        events = self.events[first:]
        if not events:
            return
        found: list[FoundQuantity] = []
        for m in _QUANTITY.finditer(self.folded, s.start, s.end):
            number = float(m.group("n").replace(",", ""))
            if m.group("mult"):
                number *= 1000 if m.group("mult").lower() == "thousand" else 1_000_000
            unit = m.group("unit").lower()
            hedge = (m.group("hedge") or "").lower()
            start = m.start("hedge") if m.group("hedge") else m.start("n")
            measure = (
                "duration"
                if unit in ("hours", "days", "weeks")
                else ("distance" if unit in ("miles", "kilometers", "kilometres") else "count")
            )
            found.append(
                FoundQuantity(
                    start,
                    m.end(),
                    number,
                    _UNITS[unit],
                    _HEDGES.get(hedge, QuantityQualifier.EXACT),
                    measure,
                )
            )
        for m in _SMALL.finditer(self.folded, s.start, s.end):
            found.append(
                FoundQuantity(
                    m.start(), m.end(), None, "unit", QuantityQualifier.SMALL_NUMBER, "count"
                )
            )
        for q in found:
            nearest = min(events, key=lambda e: _distance(e, q.start, q.end))
            nearest.quantities.append(q)
            if not (nearest.quote[0] <= q.start and q.end <= nearest.quote[1]):
                nearest.quote = (min(nearest.quote[0], q.start), max(nearest.quote[1], q.end))


_MEETS = frozenset({EventKind.MEETING, EventKind.VISIT, EventKind.TALKS})


def _code_by_codebook(event: FoundEvent, events: list[FoundEvent]) -> None:
    """The codebook's rules that look past the trigger (``docs/codebook.md`` section 5): a
    meeting, visit or talks still to come is 036 "express intent to meet or negotiate"; a
    plain statement takes its code from what it says: a pull-back it announces is 0356
    "express intent to de-escalate", a meeting it announces 036."""
    if event.kind in _MEETS and (event.modality == Modality.PLANNED or event.tense == "future"):
        event.cameo = "036"
    if event.kind not in (EventKind.STATEMENT, EventKind.ANNOUNCEMENT) or event.cameo != "010":
        return
    content = [events[i] for i in event.speaker_of]
    if any(c.kind == EventKind.WITHDRAWAL for c in content):
        event.cameo = "0356"
    elif any(c.kind in _MEETS and c.tense == "future" for c in content):
        event.cameo = "036"


def _distance(event: FoundEvent, a: int, b: int, folded: str = "") -> int:
    """How far words at ``[a, b)`` are from the event's trigger; words before the trigger
    count three times (English puts 'on Tuesday' after its verb), and an 'and' between them
    sets them far apart ('arrived on Tuesday and met …')."""
    t0, t1 = event.trigger
    if b <= t0:
        far = 1000 if re.search(r"\band\b", folded[b:t0]) else 0
        return 3 * (t0 - b) + far
    if a >= t1:
        return a - t1
    return 0


def _future(folded: str, start: int, at: int) -> bool:
    """Whether the verb before ``at`` (an event's trigger, or a date phrase) is in a future
    tense, as its auxiliaries say ('would hold', 'will meet', 'is due to meet', 'would go
    ahead in Orvane on'), in reported speech too."""
    window = folded[max(start, at - 40) : at].lower()
    return bool(
        re.search(
            r"\b(?:will|would|[’']ll|plans?\s+to|planned\s+to|is\s+to|are\s+to|scheduled\s+"
            r"to|due\s+to|expected\s+to|set\s+to|to\s+be\s+held|ready\s+to|willing\s+to|"
            r"prepared\s+to)\s+(?:[\w’'-]+,?\s+){0,5}$",
            window,
        )
    )


def find_events(
    text: str, folded: str, sentences: list[Sentence], mentions: Mentions, published: dt.date
) -> list[FoundEvent]:
    """Read the events of the sentences, in text order; dates relative to another event are
    resolved once every event is read.

    Examples
    --------
    >>> from graph.ingest.mentions import find_mentions
    >>> from graph.ingest.text import boilerplate, fold, sentences
    >>> text = ("T\\n\\nGerman Chancellor Olaf Scholz met Russian President Vladimir Putin "
    ...         "on Tuesday.\\n")
    >>> ss = sentences(text, boilerplate(text, "T"))
    >>> found = find_mentions(text, fold(text), ss, None)
    >>> [e] = find_events(text, fold(text), ss, found, dt.date(2022, 2, 16))
    >>> e.kind.value, e.cameo, [(r, k) for r, k, _ in e.roles], str(e.date.value)
    ('meeting', '040', [('actor', 'olaf scholz'), ('participant', 'vladymyr putyn')], '2022-02-15')
    """
    reader = _Reader(text, folded, mentions, published)
    paragraphs: dict[int, list[tuple[int, int]]] = {}
    for s in sentences:
        line_start = max(text.rfind(c, 0, s.start) for c in _BREAK_CHARS) + 1
        ends = [at for at in (text.find(c, s.end) for c in _BREAK_CHARS) if at >= 0]
        line_end = min(ends, default=len(text))
        if line_start not in paragraphs:
            paragraphs[line_start] = _quoted(folded, line_start, line_end)
        reader.sentence(s, paragraphs[line_start])
    for event in reader.events:
        _code_by_codebook(event, reader.events)
    for event in reader.events:
        if event.anchor is not None and event.date is None:
            anchor = reader.events[event.anchor]
            if anchor.date is not None and event.date_span is not None:
                a, b = event.date_span
                try:
                    event.date = resolve_relative(
                        text[a:b], f"event {event.anchor}", anchor.date, event.offset
                    )
                except DateResolutionError:
                    event.date = None
    return reader.events
