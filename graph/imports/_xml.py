"""XML for imports, parsed only by defusedxml's expat reader: no DTD, no entities, no fetching.

A document type declaration is refused as soon as the parser meets it, before any entity could
be declared or expanded (XXE, billion laughs); nothing is ever loaded from a URL or a file.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO
from xml.parsers import expat
from xml.sax import SAXParseException
from xml.sax.expatreader import ExpatLocator
from xml.sax.handler import ContentHandler, feature_namespaces
from xml.sax.xmlreader import Locator

from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden
from defusedxml.expatreader import DefusedExpatParser

from graph.errors import Problem, RecordValidationError

__all__ = ["CHUNK", "LocatedHandler", "defused_expat", "parse_xml", "refused"]

CHUNK = 1 << 16
"""Bytes fed to the parser at a time."""


class LocatedHandler(ContentHandler):
    """A SAX handler that knows the line it is on."""

    def __init__(self) -> None:
        super().__init__()
        self.locator: Locator | None = None

    def setDocumentLocator(self, locator: Locator) -> None:  # noqa: N802 (SAX's name)
        self.locator = locator

    @property
    def line(self) -> int:
        """The line of the event being handled (1 before the first)."""
        line = self.locator.getLineNumber() if self.locator is not None else None
        return line or 1


def defused_expat() -> expat.XMLParserType:
    """A namespace-aware expat parser (``"namespace local-name"``) that refuses, with
    defusedxml's own guards, a DOCTYPE, entity declarations and external references.

    The streaming readers (GraphML) set their handlers on it directly, without SAX's layers.

    Examples
    --------
    >>> parser = defused_expat()
    >>> parser.Parse(b'<!DOCTYPE x [<!ENTITY e "e">]><x>&e;</x>', True)
    Traceback (most recent call last):
    ...
    defusedxml.common.DTDForbidden: DTDForbidden(name='x', system_id=None, public_id=None)
    """
    guards = DefusedExpatParser(forbid_dtd=True, forbid_entities=True, forbid_external=True)
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartDoctypeDeclHandler = guards.defused_start_doctype_decl
    parser.EntityDeclHandler = guards.defused_entity_decl
    parser.UnparsedEntityDeclHandler = guards.defused_unparsed_entity_decl
    # It raises rather than returning expat's int: the stub's None return type is beside the point.
    parser.ExternalEntityRefHandler = guards.defused_external_entity_ref_handler  # type: ignore[assignment]
    return parser


def refused(exc: Exception, line: int) -> RecordValidationError:
    """The located problem for what expat or defusedxml's guards raised at ``line``."""
    if isinstance(exc, expat.ExpatError):
        problem = Problem(
            f"line {exc.lineno}",
            f"not well-formed XML at column {exc.offset}: {expat.ErrorString(exc.code)}",
        )
        return RecordValidationError([problem])
    return RecordValidationError([Problem(f"line {line}", _reason(exc))])


def _reason(exc: Exception) -> str:
    if isinstance(exc, DTDForbidden):
        return (
            "a DOCTYPE is not allowed: imports refuse document type declarations, which could "
            "declare entities that read files or expand without bound"
        )
    if isinstance(exc, EntitiesForbidden):
        return f"entity declarations are not allowed ({exc.name!r})"
    return f"refused: {exc}"


def parse_xml(stream: IO[bytes], handler: LocatedHandler) -> Iterator[None]:
    """Feed ``stream`` to a defused, namespace-aware expat parser, yielding after each chunk.

    A reader takes what its handler has built after each step, so records stream through.
    Raises :class:`~graph.errors.RecordValidationError` naming the line for malformed XML, a
    DOCTYPE, an entity or an external reference.

    Examples
    --------
    >>> import io
    >>> doc = io.BytesIO(b'<!DOCTYPE x [<!ENTITY e "e">]><x>&e;</x>')
    >>> for _ in parse_xml(doc, LocatedHandler()):
    ...     pass
    Traceback (most recent call last):
    ...
    graph.errors.RecordValidationError: 1 problem(s): line 1: a DOCTYPE is not allowed: ...
    """
    parser = DefusedExpatParser(forbid_dtd=True, forbid_entities=True, forbid_external=True)
    parser.setFeature(feature_namespaces, True)
    parser.setContentHandler(handler)
    # expat's reader hands out its locator only in parse(), not when fed: give it here.
    handler.setDocumentLocator(ExpatLocator(parser))
    try:
        while chunk := stream.read(CHUNK):
            parser.feed(chunk)
            yield
        parser.close()
        yield
    except SAXParseException as exc:
        problem = Problem(
            f"line {exc.getLineNumber()}",
            f"not well-formed XML at column {exc.getColumnNumber()}: {exc.getMessage()}",
        )
        raise RecordValidationError([problem]) from None
    except DefusedXmlException as exc:
        raise RecordValidationError([Problem(f"line {handler.line}", _reason(exc))]) from None
