"""Blocks of pre-rendered triples, and the five RDF syntaxes that write them as a stream.

Private to :mod:`graph.export`. The RDF projection (:mod:`graph.export.rdf`) turns each record
into *blocks*: one subject with its predicates and objects, split into *runs* that share the
named graphs they belong to. Every term in a block is already rendered, once, as N-Triples
writes it (``<IRI>``, ``"text"``, ``"2022-02-15"^^<…#date>``), so N-Triples and N-Quads only
join strings; the other syntaxes reshape those terms (a prefixed name for an IRI, a JSON or XML
string for a literal), which costs far less than building rdflib terms.

Each writer renders a block at a time, so the first chunk of a document is ready after the
first few records and memory stays flat however long the document: N-Triples and N-Quads one
line per triple; Turtle one paragraph per subject (``;`` between predicates, ``,`` between
objects of a predicate); JSON-LD a flat ``@graph`` of one object per subject, with an inline
``@context``; RDF/XML one ``rdf:Description`` per subject. The projection gives each subject
exactly one block, so every syntax groups by subject.

Literals drop the characters XML 1.0 cannot carry (:func:`literal`), in every syntax, so that
all of them hold the same graph.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from xml.sax.saxutils import escape

from graph.export._common import xml_safe

__all__ = [
    "JSONLD_SEPARATOR",
    "RDF_NS",
    "RDF_TYPE",
    "Block",
    "GraphNames",
    "JsonLdObjects",
    "Props",
    "Run",
    "TurtleParagraphs",
    "iri",
    "jsonld",
    "literal",
    "nquads",
    "ntriples",
    "ntriples_lines",
    "parse_term",
    "rdfxml",
    "turtle",
    "typed",
]

RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDF_TYPE = f"<{RDF_NS}type>"
"""``rdf:type``, rendered."""

Props = list[tuple[str, str]]
"""Rendered predicates and objects."""
GraphNames = tuple[str | None, ...]
"""The named graphs of a run, rendered (``None`` is the default graph); never empty."""
Run = tuple[GraphNames, Props]
Block = tuple[str, list[Run]]
"""A rendered subject and its runs."""

# Escapes that make a literal's body valid in N-Triples, Turtle and JSON strings alike.
_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"})
_UNESCAPES = {"\\\\": "\\", '\\"': '"', "\\n": "\n", "\\r": "\r", "\\t": "\t"}
_ESCAPED = re.compile(r"\\[\\\"nrt]")
_XML_TEXT = {"\r": "&#13;"}
_XML_ATTR = {'"': "&quot;"}
# A local name Turtle reads as it is (ASCII letters, digits, "_", "-" and inner dots).
_TURTLE_LOCAL = r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?"
# An XML name that can follow a namespace prefix in an element name.
_NCNAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_NEXT = " ;\n    "
"""What separates the predicates of a Turtle paragraph."""
_CACHE_SIZE = 1 << 14
"""How many rendered IRIs a writer remembers (subjects and quotes recur in nearby blocks)."""


# -- terms -------------------------------------------------------------------------------------


def iri(value: str) -> str:
    """An IRI, rendered.

    Examples
    --------
    >>> iri("https://schema.org/Person")
    '<https://schema.org/Person>'
    """
    return f"<{value}>"


def literal(text: str) -> str:
    """A plain string literal, rendered; characters XML cannot carry are dropped.

    Examples
    --------
    >>> print(literal('He said "no"\\r\\n\\tthen left\\x00'))
    "He said \\"no\\"\\r\\n\\tthen left"
    """
    if text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'
    return f'"{xml_safe(text).translate(_ESCAPES)}"'


def typed(lexical: str, datatype: str) -> str:
    """A typed literal, rendered (``lexical`` must need no escaping: a number, a date...).

    Examples
    --------
    >>> typed("2022-02-15", "http://www.w3.org/2001/XMLSchema#date")
    '"2022-02-15"^^<http://www.w3.org/2001/XMLSchema#date>'
    """
    return f'"{lexical}"^^<{datatype}>'


def _split_literal(term: str) -> tuple[str, str | None]:
    """A rendered literal's escaped body and its datatype IRI (``None`` for a plain string)."""
    if term[-1] == '"':
        return term[1:-1], None
    end = term.rindex('"^^<')
    return term[1:end], term[end + 4 : -1]


def _unescape(body: str) -> str:
    if "\\" not in body:
        return body
    return _ESCAPED.sub(lambda m: _UNESCAPES[m[0]], body)


def parse_term(term: str) -> tuple[str, str | None, bool]:
    """Read a rendered term back: its value, its datatype IRI, and whether it is an IRI.

    Examples
    --------
    >>> parse_term('"a \\\\"b\\\\""')
    ('a "b"', None, False)
    >>> parse_term(iri("https://schema.org/Person"))
    ('https://schema.org/Person', None, True)
    """
    if term[0] == "<":
        return term[1:-1], None, True
    body, datatype = _split_literal(term)
    return _unescape(body), datatype, False


def _namer(
    prefixes: Mapping[str, str], local: str, other: Callable[[str], str]
) -> tuple[Callable[[str], str], Callable[[str], str | None]]:
    """Functions that shorten rendered IRIs to prefixed names: one that names any IRI, and one
    that only recalls the names of recent ones (``None`` for others; cheaper where most recur).

    An IRI's namespace is taken to end at its last ``/`` or ``#`` (as all of geokg's do); it is
    shortened when that namespace has a prefix and the rest matches ``local``. ``other``
    renders any other IRI.
    """
    names = {f"<{ns}": f"{prefix}:" for prefix, ns in prefixes.items()}
    is_local = re.compile(local).fullmatch
    cache: dict[str, str] = {}
    recall = cache.get

    def name(term: str) -> str:
        found = recall(term)
        if found is None:
            cut = max(term.rfind("/"), term.rfind("#")) + 1
            prefix = names.get(term[:cut])
            rest = term[cut:-1]
            found = other(term) if prefix is None or not is_local(rest) else prefix + rest
            if len(cache) >= _CACHE_SIZE:
                cache.clear()
            cache[term] = found
        return found

    return name, recall


# -- N-Triples and N-Quads ---------------------------------------------------------------------


def ntriples_lines(subject: str, props: Props) -> str:
    """The N-Triples lines of one subject's predicates and objects.

    Examples
    --------
    >>> print(ntriples_lines("<http://e.org/a>", [("<http://e.org/p>", literal("x"))]), end="")
    <http://e.org/a> <http://e.org/p> "x" .
    """
    return "".join([f"{subject} {p} {o} .\n" for p, o in props])


def ntriples(batches: Iterable[list[Block]]) -> Iterator[str]:
    """Write batches of blocks as N-Triples, one string of lines per batch.

    Examples
    --------
    >>> block = ("<http://e.org/a>", [((None,), [("<http://e.org/p>", literal('say "hi"'))])])
    >>> print("".join(ntriples([[block]])), end="")
    <http://e.org/a> <http://e.org/p> "say \\"hi\\"" .
    """
    for batch in batches:
        yield "".join(
            [
                f"{subject} {p} {o} .\n"
                for subject, runs in batch
                for _, props in runs
                for p, o in props
            ]
        )


def nquads(batches: Iterable[list[Block]]) -> Iterator[str]:
    """Write batches of blocks as N-Quads: each triple once per named graph of its run.

    Examples
    --------
    >>> g = iri("http://e.org/g")
    >>> block = ("<http://e.org/a>", [((g, None), [("<http://e.org/p>", "<http://e.org/b>")])])
    >>> print("".join(nquads([[block]])), end="")
    <http://e.org/a> <http://e.org/p> <http://e.org/b> <http://e.org/g> .
    <http://e.org/a> <http://e.org/p> <http://e.org/b> .
    """
    endings: dict[GraphNames, tuple[str, ...]] = {}
    for batch in batches:
        lines = []
        for subject, runs in batch:
            for graphs, props in runs:
                ends = endings.get(graphs)
                if ends is None:
                    if len(endings) >= _CACHE_SIZE:
                        endings.clear()
                    ends = endings[graphs] = tuple(
                        " .\n" if name is None else f" {name} .\n" for name in graphs
                    )
                if len(ends) == 1:
                    end = ends[0]
                    lines += [f"{subject} {p} {o}{end}" for p, o in props]
                else:
                    lines += [f"{subject} {p} {o}{end}" for p, o in props for end in ends]
        yield "".join(lines)


# -- Turtle ------------------------------------------------------------------------------------


class TurtleParagraphs:
    """Renders blocks as Turtle paragraphs, one per subject (after :meth:`header`).

    Keeps the prefixed names of recent IRIs, so it is made once per document (or per store,
    for pre-rendered blocks); what it renders does not depend on what it rendered before.
    """

    def __init__(self, prefixes: Mapping[str, str]) -> None:
        self.prefixes = prefixes
        self._name, self._recall = _namer(prefixes, _TURTLE_LOCAL, str)  # others stay as they are
        # Each predicate with what comes before it within a paragraph: a few dozen in all.
        self._opening = {RDF_TYPE: f"{_NEXT}a "}

    def header(self) -> str:
        """The ``@prefix`` lines."""
        return "".join(f"@prefix {prefix}: <{ns}> .\n" for prefix, ns in self.prefixes.items())

    def render(self, blocks: Iterable[Block]) -> str:
        """A paragraph (``\\n`` first) per block."""
        name, recall, opening = self._name, self._recall, self._opening
        parts = []
        for subject, runs in blocks:
            items = []
            previous = None
            for _, props in runs:
                for p, term in props:
                    if term[0] == "<":
                        o = recall(term) or name(term)
                    elif term[-1] == '"':
                        o = term  # a plain literal is written as N-Triples writes it
                    else:  # a typed literal, its datatype as a prefixed name
                        end = term.rindex("^^<") + 2
                        o = term[:end] + name(term[end:])
                    if p == previous:
                        items.append(f", {o}")
                    else:
                        before = opening.get(p)
                        if before is None:
                            before = opening[p] = f"{_NEXT}{name(p)} "
                        items.append(f"{before}{o}")
                        previous = p
            parts.append(f"\n{name(subject)} {''.join(items)[len(_NEXT) :]} .\n")
        return "".join(parts)


def turtle(batches: Iterable[list[Block]], prefixes: Mapping[str, str]) -> Iterator[str]:
    """Write batches of blocks as Turtle: the prefixes first, then a paragraph per subject.

    Examples
    --------
    >>> xsd = "http://www.w3.org/2001/XMLSchema#"
    >>> block = ("<http://e.org/a>", [((None,), [
    ...     (RDF_TYPE, "<http://e.org/C>"), (RDF_TYPE, "<http://e.org/D>"),
    ...     ("<http://e.org/p>", typed("2022-02-15", xsd + "date"))])])
    >>> print("".join(turtle([[block]], {"e": "http://e.org/", "xsd": xsd})), end="")
    @prefix e: <http://e.org/> .
    @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
    <BLANKLINE>
    e:a a e:C, e:D ;
        e:p "2022-02-15"^^xsd:date .
    """
    writer = TurtleParagraphs(prefixes)
    yield writer.header()
    for batch in batches:
        yield writer.render(batch)


# -- JSON-LD -----------------------------------------------------------------------------------


JSONLD_SEPARATOR = ",\n"
"""What :meth:`JsonLdObjects.render` puts before every object: the document's first object
goes without it."""


class JsonLdObjects:
    """Renders blocks as the objects of a flat JSON-LD ``@graph``, one per subject.

    Every object comes after :data:`JSONLD_SEPARATOR` and four spaces: a document drops the
    separator before its first object. Keeps the compact IRIs of recent IRIs; what it renders
    does not depend on what it rendered before.
    """

    def __init__(self, prefixes: Mapping[str, str]) -> None:
        self.prefixes = prefixes
        # A literal's rendered body is already a valid JSON string body (same escapes); IRIs
        # are written as compact IRIs when a prefix fits (JSON-LD takes any text after the
        # colon).
        self._name, self._recall = _namer(prefixes, r"[^<>\"\\{}|^`\s]*", _json_body)
        self._keys: dict[str, str] = {}  # a few dozen: the mapping's predicates, as member names

    def header(self) -> str:
        """The document up to its first object: the inline ``@context``, ``@graph`` opened."""
        context = json.dumps(dict(self.prefixes), indent=2, ensure_ascii=False)
        context = context.replace("\n", "\n  ")
        return f'{{\n  "@context": {context},\n  "@graph": [\n'

    @staticmethod
    def footer() -> str:
        """The document after its last object."""
        return "\n  ]\n}\n"

    def render(self, blocks: Iterable[Block]) -> str:
        """An object (after :data:`JSONLD_SEPARATOR`) per block."""
        name, recall, keys = self._name, self._recall, self._keys
        objects = []
        for subject, runs in blocks:
            types: list[str] = []
            values: dict[str, list[str]] = {}
            for _, props in runs:
                for p, term in props:
                    if term[0] == "<":
                        if p == RDF_TYPE:
                            types.append(f'"{recall(term) or name(term)}"')
                            continue
                        value = f'{{"@id": "{recall(term) or name(term)}"}}'
                    elif term[-1] == '"':
                        value = term  # a plain literal's rendering is already a JSON string
                    else:  # a typed literal
                        end = term.rindex("^^<")
                        value = f'{{"@value": {term[:end]}, "@type": "{name(term[end + 2 :])}"}}'
                    found = values.get(p)
                    if found is None:
                        values[p] = [value]
                    else:
                        found.append(value)
            members = [f'"@id": "{name(subject)}"']
            if types:
                members.append(f'"@type": {_one_or_list(types)}')
            for p, found in values.items():
                key = keys.get(p)
                if key is None:
                    key = keys[p] = f'"{name(p)}": '
                members.append(f"{key}{_one_or_list(found)}")
            objects.append(f"{JSONLD_SEPARATOR}    {{{', '.join(members)}}}")
        return "".join(objects)


def jsonld(batches: Iterable[list[Block]], prefixes: Mapping[str, str]) -> Iterator[str]:
    """Write batches of blocks as JSON-LD: an inline ``@context`` and a flat ``@graph``.

    Each block is one object of the ``@graph``.

    Examples
    --------
    >>> block = ("<http://e.org/a>", [((None,), [
    ...     (RDF_TYPE, "<http://e.org/C>"), ("<http://e.org/p>", "<http://e.org/b>"),
    ...     ("<http://e.org/p>", literal("x"))])])
    >>> doc = json.loads("".join(jsonld([[block]], {"e": "http://e.org/"})))
    >>> doc["@graph"]
    [{'@id': 'e:a', '@type': 'e:C', 'e:p': [{'@id': 'e:b'}, 'x']}]
    """
    writer = JsonLdObjects(prefixes)
    yield writer.header()
    cut = len(JSONLD_SEPARATOR)  # before the first object
    for batch in batches:
        objects = writer.render(batch)
        if objects and cut:
            objects, cut = objects[cut:], 0
        yield objects
    yield writer.footer()


def _json_body(term: str) -> str:
    inner = term[1:-1]
    if '"' not in inner and "\\" not in inner:
        return inner
    return json.dumps(inner, ensure_ascii=False)[1:-1]


def _one_or_list(values: list[str]) -> str:
    return values[0] if len(values) == 1 else f"[{', '.join(values)}]"


# -- RDF/XML -----------------------------------------------------------------------------------


def rdfxml(batches: Iterable[list[Block]], prefixes: Mapping[str, str]) -> Iterator[str]:
    """Write batches of blocks as RDF/XML, one ``rdf:Description`` per subject.

    Raises ``ValueError`` for a predicate that no prefix turns into an XML element name.

    Examples
    --------
    >>> block = ("<http://e.org/a>", [((None,), [
    ...     ("<http://e.org/p>", "<http://e.org/b>"), ("<http://e.org/q>", literal("1 < 2"))])])
    >>> print("".join(rdfxml([[block]], {"e": "http://e.org/", "rdf": RDF_NS})), end="")
    <?xml version="1.0" encoding="utf-8"?>
    <rdf:RDF
       xmlns:e="http://e.org/"
       xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    >
      <rdf:Description rdf:about="http://e.org/a">
        <e:p rdf:resource="http://e.org/b"/>
        <e:q>1 &lt; 2</e:q>
      </rdf:Description>
    </rdf:RDF>
    """
    if prefixes.get("rdf") != RDF_NS:
        raise ValueError("RDF/XML needs the prefix rdf for the RDF namespace")
    namespaces = "".join(f'   xmlns:{p}="{_xml_attr(ns)}"\n' for p, ns in prefixes.items())
    yield f'<?xml version="1.0" encoding="utf-8"?>\n<rdf:RDF\n{namespaces}>\n'
    elements: dict[str, str] = {}
    for batch in batches:
        parts = []
        for subject, runs in batch:
            parts.append(f'  <rdf:Description rdf:about="{_xml_attr(subject[1:-1])}">\n')
            for _, props in runs:
                for p, o in props:
                    element = elements.get(p)
                    if element is None:
                        element = elements[p] = _element_name(p[1:-1], prefixes)
                    if o[0] == "<":
                        parts.append(f'    <{element} rdf:resource="{_xml_attr(o[1:-1])}"/>\n')
                    elif o[-1] == '"':
                        text = o[1:-1]
                        if "\\" in text or "&" in text or "<" in text or ">" in text:
                            text = _xml_text(_unescape(text))
                        parts.append(f"    <{element}>{text}</{element}>\n")
                    else:
                        body, datatype = _split_literal(o)
                        text = _xml_text(_unescape(body))
                        datatype = _xml_attr(datatype or "")
                        parts.append(
                            f'    <{element} rdf:datatype="{datatype}">{text}</{element}>\n'
                        )
            parts.append("  </rdf:Description>\n")
        yield "".join(parts)
    yield "</rdf:RDF>\n"


def _xml_text(text: str) -> str:
    if "&" not in text and "<" not in text and ">" not in text and "\r" not in text:
        return text
    # A carriage return would be read back as a line feed unless written as a reference.
    return escape(text, _XML_TEXT)


def _xml_attr(text: str) -> str:
    if "&" not in text and "<" not in text and '"' not in text:
        return text
    return escape(text, _XML_ATTR)


def _element_name(predicate: str, prefixes: Mapping[str, str]) -> str:
    for prefix, ns in sorted(prefixes.items(), key=lambda item: -len(item[1])):
        local = predicate[len(ns) :]
        if predicate.startswith(ns) and _NCNAME.fullmatch(local):
            return f"{prefix}:{local}"
    raise ValueError(f"no prefix makes an XML element name of <{predicate}>")
