"""The fixed vocabularies of geokg: node kinds, roles, relation types, modalities.

Every ``kind``, ``type`` and ``role`` in the graph comes from one of the tables below.
Each value maps to a short definition; :func:`vocabularies` gathers them (``GET /vocabulary``).
The RDF mapping of each term lives in :mod:`graph.export.rdf`, the only place where the model
meets an outside ontology.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "ENTITY_KIND_DEFINITIONS",
    "ENTITY_KIND_PARENT",
    "EVENT_KIND_DEFINITIONS",
    "MODALITY_DEFINITIONS",
    "RELATION_DEFINITIONS",
    "ROLE_DEFINITIONS",
    "EntityKind",
    "EventKind",
    "Granularity",
    "Modality",
    "QuantityQualifier",
    "RelationType",
    "Role",
    "entity_kinds_under",
    "vocabularies",
]


class EntityKind(StrEnum):
    """What an entity is."""

    STATE = "state"
    PERSON = "person"
    GROUP = "group"
    ORGANISATION = "organisation"
    INTERNATIONAL_ORGANISATION = "international_organisation"
    GOVERNMENT_BODY = "government_body"
    COMPANY = "company"
    MEDIA_OUTLET = "media_outlet"
    PLACE = "place"
    MILITARY_FORCE = "military_force"


ENTITY_KIND_PARENT: dict[EntityKind, EntityKind | None] = {
    EntityKind.STATE: None,
    EntityKind.PERSON: None,
    EntityKind.GROUP: None,
    EntityKind.ORGANISATION: None,
    EntityKind.INTERNATIONAL_ORGANISATION: EntityKind.ORGANISATION,
    EntityKind.GOVERNMENT_BODY: EntityKind.ORGANISATION,
    EntityKind.COMPANY: EntityKind.ORGANISATION,
    EntityKind.MEDIA_OUTLET: EntityKind.ORGANISATION,
    EntityKind.PLACE: None,
    EntityKind.MILITARY_FORCE: None,
}
"""Sub-kinds of organisation: a filter on ``organisation`` matches all of them."""

ENTITY_KIND_DEFINITIONS: dict[EntityKind, str] = {
    EntityKind.STATE: "A sovereign state, also when named by its capital (metonymy).",
    EntityKind.PERSON: "One human being, named or unnamed.",
    EntityKind.GROUP: "A collective of people the article refers to as one actor "
    "(e.g. 'Western officials', 'Kyiv residents').",
    EntityKind.ORGANISATION: "Any organisation not covered by a more specific kind.",
    EntityKind.INTERNATIONAL_ORGANISATION: "An organisation of states (e.g. NATO).",
    EntityKind.GOVERNMENT_BODY: "A ministry, office or council of one state's government.",
    EntityKind.COMPANY: "A commercial company.",
    EntityKind.MEDIA_OUTLET: "A news organisation, broadcaster or agency.",
    EntityKind.PLACE: "A city, region, area or site.",
    EntityKind.MILITARY_FORCE: "Armed forces, units, troops or military hardware as an actor.",
}


def entity_kinds_under(kind: EntityKind) -> frozenset[EntityKind]:
    """Return ``kind`` and every kind whose parent is ``kind``.

    Examples
    --------
    >>> sorted(entity_kinds_under(EntityKind.ORGANISATION))[:2]
    [<EntityKind.COMPANY: 'company'>, <EntityKind.GOVERNMENT_BODY: 'government_body'>]
    >>> entity_kinds_under(EntityKind.STATE) == {EntityKind.STATE}
    True
    """
    return frozenset(k for k, parent in ENTITY_KIND_PARENT.items() if kind in (k, parent))


class EventKind(StrEnum):
    """What happened (or was said to happen)."""

    STATEMENT = "statement"
    ANNOUNCEMENT = "announcement"
    DEMAND = "demand"
    OFFER = "offer"
    PROPOSAL = "proposal"
    WARNING = "warning"
    DENIAL = "denial"
    APPEAL = "appeal"
    REPORT = "report"
    MEETING = "meeting"
    VISIT = "visit"
    TALKS = "talks"
    DEPLOYMENT = "deployment"
    TROOP_MOVEMENT = "troop_movement"
    WITHDRAWAL = "withdrawal"
    MILITARY_EXERCISE = "military_exercise"
    MILITARY_ACTION = "military_action"
    CIVIL_PREPARATION = "civil_preparation"
    OBSERVANCE = "observance"
    MARKET_MOVEMENT = "market_movement"


EVENT_KIND_DEFINITIONS: dict[EventKind, str] = {
    EventKind.STATEMENT: "Someone said something (comment, argument, assessment).",
    EventKind.ANNOUNCEMENT: "A formal public announcement by a state or body.",
    EventKind.DEMAND: "An actor demanded or requested something of a target.",
    EventKind.OFFER: "An actor offered something to a target.",
    EventKind.PROPOSAL: "An idea or option put forward (e.g. shelving a NATO bid).",
    EventKind.WARNING: "An actor warned of a danger.",
    EventKind.DENIAL: "An actor denied an intention or an accusation.",
    EventKind.APPEAL: "An actor called on others to do something.",
    EventKind.REPORT: "A media outlet, company or official reported an observation.",
    EventKind.MEETING: "Two or more actors met in person or on camera.",
    EventKind.VISIT: "An actor was present in a place, typically abroad.",
    EventKind.TALKS: "Negotiations or diplomatic talks as a process.",
    EventKind.DEPLOYMENT: "Forces were placed somewhere.",
    EventKind.TROOP_MOVEMENT: "Forces or hardware moved.",
    EventKind.WITHDRAWAL: "Forces pulled back or returned to base.",
    EventKind.MILITARY_EXERCISE: "Military drills.",
    EventKind.MILITARY_ACTION: "An attack, invasion or offensive (often possible or denied).",
    EventKind.CIVIL_PREPARATION: "Civilian preparation: shelters, letters, supplies.",
    EventKind.OBSERVANCE: "A day or ceremony proclaimed or held.",
    EventKind.MARKET_MOVEMENT: "A movement of markets or a currency.",
}


class Role(StrEnum):
    """How an entity takes part in an event (an edge from the event to the entity)."""

    ACTOR = "actor"
    TARGET = "target"
    PARTICIPANT = "participant"
    PLACE = "place"
    REPORTED_BY = "reported_by"
    ACCORDING_TO = "according_to"


ROLE_DEFINITIONS: dict[Role, str] = {
    Role.ACTOR: "Who did it, said it or asserted it.",
    Role.TARGET: "At whom or what it was directed.",
    Role.PARTICIPANT: "Who else took part (e.g. the other side of a meeting).",
    Role.PLACE: "Where it happened or was said to happen.",
    Role.REPORTED_BY: "Who reported it (a media outlet, company or official).",
    Role.ACCORDING_TO: "On whose word the article gives it.",
}


class RelationType(StrEnum):
    """Binary relations between nodes (an edge from ``source`` to ``target``)."""

    HOLDS_POSITION = "holds_position"
    HEAD_OF = "head_of"
    MEMBER_OF = "member_of"
    PART_OF = "part_of"
    LOCATED_IN = "located_in"
    CAPITAL_OF = "capital_of"
    RESIDENT_OF = "resident_of"
    AFFILIATED_WITH = "affiliated_with"
    ALLY_OF = "ally_of"
    CRITIC_OF = "critic_of"
    COUNTERPART_OF = "counterpart_of"
    PUBLISHED_BY = "published_by"
    CONTRIBUTOR = "contributor"
    RESPONDS_TO = "responds_to"
    DISPUTES = "disputes"
    FOLLOWS = "follows"
    RELATES_TO = "relates_to"


RELATION_DEFINITIONS: dict[RelationType, str] = {
    RelationType.HOLDS_POSITION: "A person holds a position (attribute `title`) in a state/body.",
    RelationType.HEAD_OF: "A person leads a state, body or organisation.",
    RelationType.MEMBER_OF: "An entity is a member of an organisation or group.",
    RelationType.PART_OF: "A body or force belongs to a state or organisation.",
    RelationType.LOCATED_IN: "A place lies in a place or state.",
    RelationType.CAPITAL_OF: "A city is the capital of a state.",
    RelationType.RESIDENT_OF: "A person or group lives in a place.",
    RelationType.AFFILIATED_WITH: "A person works for an organisation (e.g. a journalist).",
    RelationType.ALLY_OF: "Two states or organisations are allies.",
    RelationType.CRITIC_OF: "An actor is a critic of another.",
    RelationType.COUNTERPART_OF: "Two officials hold matching posts in different states.",
    RelationType.PUBLISHED_BY: "A source document was published by an organisation.",
    RelationType.CONTRIBUTOR: "A source document had this person as a contributor.",
    RelationType.RESPONDS_TO: "An event is a reaction to another event.",
    RelationType.DISPUTES: "An event casts doubt on or contradicts another event (e.g. a claim).",
    RelationType.FOLLOWS: "An event happened after another, as the article says.",
    RelationType.RELATES_TO: "An event concerns another event.",
}


class Modality(StrEnum):
    """How the article presents an event: as fact, as someone's claim, as a plan..."""

    OCCURRED = "occurred"
    ASSERTED = "asserted"
    REPORTED = "reported"
    PLANNED = "planned"
    PROPOSED = "proposed"
    POSSIBLE = "possible"
    DENIED = "denied"
    ABANDONED = "abandoned"


MODALITY_DEFINITIONS: dict[Modality, str] = {
    Modality.OCCURRED: "The article states it happened, in its own voice.",
    Modality.ASSERTED: "An actor claims it; the article does not confirm it.",
    Modality.REPORTED: "A third party (outlet, company, official) reports it.",
    Modality.PLANNED: "Intended or scheduled, not yet happened at the time of writing.",
    Modality.PROPOSED: "Put forward as an option or offer.",
    Modality.POSSIBLE: "Feared, expected or warned of; may happen.",
    Modality.DENIED: "An actor denies it.",
    Modality.ABANDONED: "Put forward, then dropped.",
}


class Granularity(StrEnum):
    """How precise a resolved date is."""

    DAY = "day"
    WEEK = "week"
    PERIOD = "period"


class QuantityQualifier(StrEnum):
    """How a number in the text is hedged."""

    EXACT = "exact"
    MORE_THAN = "more_than"
    APPROXIMATELY = "approximately"
    SMALL_NUMBER = "small_number"
    """An unquantified amount ('small numbers'): the value is null."""


def vocabularies() -> dict[str, dict[str, str]]:
    """Every controlled term with its definition, by vocabulary.

    Examples
    --------
    >>> vocabularies()["role"]["according_to"]
    'On whose word the article gives it.'
    >>> vocabularies()["entity_kind"]["company"].startswith("A commercial")
    True
    """
    tables: dict[str, dict[str, str]] = {
        "entity_kind": {k.value: d for k, d in ENTITY_KIND_DEFINITIONS.items()},
        "event_kind": {k.value: d for k, d in EVENT_KIND_DEFINITIONS.items()},
        "role": {k.value: d for k, d in ROLE_DEFINITIONS.items()},
        "relation_type": {k.value: d for k, d in RELATION_DEFINITIONS.items()},
        "modality": {k.value: d for k, d in MODALITY_DEFINITIONS.items()},
    }
    return tables
