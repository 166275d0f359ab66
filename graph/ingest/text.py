"""The text of an article as ingestion reads it: a folded view, skipped spans, sentences.

Every offset here is an index into the *original* text (Python ``str`` positions), so a
``[start, end)`` slice of what the writer sent is always the quote. Matching is done on a
*folded* view of the same length: lookalike letters inside Latin words (a Cyrillic ``а`` in
``Ukrаine``, a Cherokee ``Ꭺ``) are replaced by the Latin letter they imitate, one character for
one, so a position in the folded view is the same position in the original.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources

__all__ = ["MAX_SENTENCE_CHARS", "Sentence", "Skipped", "boilerplate", "fold", "sentences"]


@cache
def _lookalikes() -> dict[str, str]:
    """Non-ASCII letters that imitate one ASCII letter, from Unicode's confusables table as
    the ``confusable-homoglyphs`` package ships it (no download at run time)."""
    raw = resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8")
    table: dict[str, str] = {}
    for char, glyphs in json.loads(raw).items():
        if len(char) != 1 or char.isascii() or not unicodedata.category(char).startswith("L"):
            continue
        latin = [
            g["c"] for g in glyphs if len(g["c"]) == 1 and g["c"].isascii() and g["c"].isalpha()
        ]
        if latin:
            table[char] = latin[0]
    return table


_WORD = re.compile(r"\w+")


def fold(text: str) -> str:
    """The same text with lookalike letters inside Latin words replaced by Latin ones.

    A word of another script alone (``Москва``) is left as it is: only a word that mixes
    ASCII letters with lookalikes is folded. The result has the same length as ``text``.

    Examples
    --------
    >>> fold("Ukr\\u0430ine and \\u041c\\u043e\\u0441\\u043a\\u0432\\u0430")
    'Ukraine and Москва'
    >>> len(fold("R\\u0443ssia")) == len("R\\u0443ssia")
    True
    """
    table = _lookalikes()
    parts: list[str] = []
    last = 0
    for match in _WORD.finditer(text):
        word = match.group()
        if word.isascii() or not any(c.isascii() and c.isalpha() for c in word):
            continue
        folded = "".join(table.get(c, c) for c in word)
        if folded != word:
            parts.append(text[last : match.start()])
            parts.append(folded)
            last = match.end()
    parts.append(text[last:])
    return "".join(parts)


@dataclass(frozen=True)
class Skipped:
    """A span of the text that ingestion does not read for facts, and why."""

    start: int
    end: int
    reason: str


@dataclass(frozen=True)
class Sentence:
    """A sentence: its offsets in the original text and its folded text."""

    start: int
    end: int
    text: str
    """The folded text of the sentence (same length as the original slice)."""


# Lines that come with a pasted web page rather than with the story.
_MARKUP = re.compile(
    r"^\s*(?:(?:\[[^\]]*\]|<[^>]*>|\{[^}]*\})\s*)+$|^\s*(?:\[\[|\{\{|<!--|\[\{).*(?:\]\]|\}\}|-->|\}\])\s*$"
)
_CREDIT = re.compile(
    r"\([^()]*(?:Photo|Images?|Imaging|/| via |[Aa]rchive|[Ff]ile\b|[Hh]andout|[Cc]ourtesy|"
    r"[Pp]ool\b)[^()]*\)\s*$"
    r"|^\s*(?:Photo|Image|Picture|Credit|Caption|Video)s?\s*(?:by)?\s*[:/|]"
    r"|^\s*(?:Photo|Image|Picture|Video)\s+(?:caption|source|credit)s?\s*:"
    r"|\b(?i:photo(?:graph)?):\s+[A-Z]"
    r"|^\s*(?:AP|AFP|Reuters|Getty) (?:Photo|Images)\b"
    r"|\bPhoto(?:graph)?: [A-Z]",
)
_CHROME = re.compile(
    r"^\s*(?:Show (?:More|Less)|Read (?:More|more|Next|next)"
    r"|Related(?: Articles| Stories| Coverage)?"
    r"|Back to top(?: button)?|Advertisement|Share(?: this(?: article)?)?|Subscribe\b.*"
    r"|Sign up\b.*|Click here\b.*|Gallery\b.*|Comments?|Copyright\b.*|©.*"
    r"|(?:Image|Photo|Slide) \d+ (?:of|/) \d+.*|Follow\b.* (?:on|at) .*|All rights reserved\.?"
    r"|Most (?:Popular|Read)|Trending(?: Now)?|Up Next|Watch(?::.*|\s+(?:the\s+)?video\b.*)?"
    r"|Listen(?::.*|\s+to\s+(?:this|the)\s+(?:story|article|podcast)\b.*)?"
    r"|Share\b.*|Editor[’']s\s+[Nn]ote\b.*|(?:Updated|Published|Posted|Last\s+updated)\b.*"
    r"|(?:Download|Get)\s+(?:the|our)\s+app\b.*|Sign\s+up\b.*|Newsletter\b.*"
    r"|[^.!?]*\b(?:our|the)\s+(?:free\s+)?(?:daily\s+|morning\s+|evening\s+|weekly\s+)?"
    r"newsletter\b.*|Comments?(?:\s+are\s+(?:closed|open))?\.?|.*\bcookies?\b.*"
    r"|[A-Z][\w.’'-]+(?:\s+[A-Z][\w.’'-]+){1,3},\s+(?:[A-Z][a-z]+\s+){0,3}"
    r"(?:Correspondent|Reporter|Editor|Writer|Staff|Bureau\s+Chief)(?:,.*)?)\s*$",
)
_METADATA = re.compile(r"^[^.!?]*(?:\s[|·›»>]\s[^|·›»>]*){1,}$")
"""A short line of fields set apart by ' | ' or ' · ' (byline, outlet, time; share buttons)."""
_EDITORS_NOTE = re.compile(r"^\s*(?:Editor[’']s\s+[Nn]ote|Correction|Clarification)\s*:")
_CHROME_WORDS = 10
"""Page chrome is a short line: a paragraph of the story that starts 'Gallery owners…' is no
chrome."""
_BYLINE = re.compile(
    r"^\s*(?:By\s+[A-Z][\w.’'-]*(?:\s+[A-Z][\w.’'-]*)*(?:\s*(?:,|and)\s+[A-Z][\w.’'-]*"
    r"(?:\s+[A-Z][\w.’'-]*)*)*"
    r"(?:\s*[,|]\s*(?:Associated Press|AP|Reuters|AFP|[A-Z][\w ]{0,40})\b.*)?"
    r"\s*$"
    r"|(?:Additional\s+)?(?:[Rr]eporting|[Ww]riting|[Ee]diting|[Cc]ompiled)\s+by\s+[A-Z].{0,120}"
    r"|(?:From\s+|Compiled\s+from\s+)?(?:[Ss]taff\s+and\s+)?[Ww]ire\s+(?:reports|services)\.?\s*$"
    r"|[—–-]{1,2}\s*[A-Z][\w.’' -]* reported from\b.*"
    r"|.*\b(?:contributed to this report|This report was contributed by|Associated Press "
    r"(?:writers?|reporters?|correspondents?)\b).*)",
)
_DATELINE = re.compile(
    r"^[A-Z][A-Z .’'-]+(?:, [A-Z][\w .’'-]+)?\s*(?:\((?:AP|Reuters|AFP)\))?\s*[—–-]{1,2}\s*"
)


_LINES = re.compile(r"[^\n\r\x85\u2028\u2029]+")
"""A line: text between line breaks of any convention (LF, CRLF, CR, NEL, LS, PS)."""
MAX_SENTENCE_CHARS = 1_000
"""A longer run without a sentence end is cut at spaces into pieces of at most this length:
reading time grows with the square of a sentence's length, and no wire sentence is this long."""


def _plain(line: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", line.casefold()).split())


def _line_reason(line: str, title: str | None, first: bool) -> str | None:
    if first and title is not None and _plain(line) == _plain(title) and _plain(line):
        return "title"
    if _MARKUP.match(line):
        return "markup"
    if len(line.split()) <= _CHROME_WORDS and _CHROME.match(line):
        return "page chrome"
    if len(line.split()) <= 14 and _METADATA.match(line):
        return "page chrome"
    if _EDITORS_NOTE.match(line):
        return "page chrome"
    letters = [c for c in line if c.isalpha()]
    if len(line.split()) >= 4 and sum(c.isupper() for c in letters) >= 0.8 * len(letters):
        return "photo caption or credit"  # a line set in capitals: a caption or a heading
    if _BYLINE.match(line):
        return "byline"
    if _CREDIT.search(line):
        return "photo caption or credit"
    return None


def boilerplate(text: str, title: str | None = None) -> list[Skipped]:
    """The spans ingestion skips: the title line (the first line, when it is the ``title``
    given with the article), markup, page chrome ("Show More", "Related Articles"), photo
    captions and credits, bylines, and a leading dateline.

    The title is skipped because a headline restates the story in headline grammar; the
    story's own sentences carry the facts. A first line that is not the title is read.

    Examples
    --------
    >>> text = "Title\\n\\nKYIV, Ukraine (AP) — Troops moved.\\n[embed]\\nShow More\\n"
    >>> [(text[s.start:s.end], s.reason) for s in boilerplate(text, "Title")]
    [('Title', 'title'), ('KYIV, Ukraine (AP) — ', 'dateline'), ('[embed]', 'markup'), \
('Show More', 'page chrome')]
    """
    skipped: list[Skipped] = []
    first = True
    for match in _LINES.finditer(text):
        line = match.group()
        if not line.strip():
            continue
        reason = _line_reason(line, title, first)
        first = False
        if reason is not None:
            skipped.append(Skipped(match.start(), match.end(), reason))
            continue
        dateline = _DATELINE.match(line)
        if dateline and dateline.end() < len(line):
            skipped.append(Skipped(match.start(), match.start() + dateline.end(), "dateline"))
    return skipped


_ABBREVIATIONS = frozenset(
    [
        "u.s",
        "u.k",
        "u.n",
        "e.u",
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
        "dr",
        "mr",
        "mrs",
        "ms",
        "gen",
        "lt",
        "col",
        "sgt",
        "capt",
        "maj",
        "adm",
        "sen",
        "rep",
        "gov",
        "st",
        "no",
        "inc",
        "corp",
        "ltd",
        "co",
        "jr",
        "sr",
        "vs",
        "e.g",
        "i.e",
        "a.m",
        "p.m",
        "pres",
        "prof",
        "rev",
        "ft",
        "mt",
        "gov't",
    ]
)
_END = re.compile(r"[.!?]+[”\"’')\]]*(?=\s+[“\"‘'(\[]?[A-Z0-9])|[.!?]+[”\"’')\]]*\s*$")


def _is_abbreviation(text: str, dot: int) -> bool:
    """Whether the period at ``dot`` closes an abbreviation or an initial, not a sentence."""
    if text[dot] != ".":
        return False
    start = dot
    while start > 0 and (text[start - 1].isalpha() or text[start - 1] == "."):
        start -= 1
    word = text[start:dot].lower()
    if word in _ABBREVIATIONS:
        return True
    return len(word) == 1 and text[start].isupper()


def _split(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    begin = start
    for match in _END.finditer(text, start, end):
        if _is_abbreviation(text, match.start()):
            continue
        stop = match.end()
        while stop > begin and text[stop - 1].isspace():
            stop -= 1
        if stop > begin:
            yield begin, stop
        begin = match.end()
        while begin < end and text[begin].isspace():
            begin += 1
    while end > begin and text[end - 1].isspace():
        end -= 1
    if end > begin:
        yield begin, end


def sentences(text: str, skipped: list[Skipped]) -> list[Sentence]:
    """The sentences of the text outside the skipped spans, each with its offsets.

    A rule-based splitter for wire copy: a sentence ends at ``.``, ``!`` or ``?`` (and any
    closing quotes) before a capital, a digit or an opening quote, unless the period closes
    an abbreviation (``U.S.``, ``Feb.``, ``Dr.``) or an initial (``Jan M. Olsen``). Lines are
    paragraphs: no sentence crosses a line break.

    Examples
    --------
    >>> text = "Title\\n\\nDr. Tamara Ugrich explained it. “We’re calm.” U.S. officials said so.\\n"
    >>> [text[s.start:s.end] for s in sentences(text, boilerplate(text, "Title"))]
    ['Dr. Tamara Ugrich explained it.', '“We’re calm.”', 'U.S. officials said so.']
    """
    folded = fold(text)
    out: list[Sentence] = []
    holes = sorted((s.start, s.end) for s in skipped)
    for line in _LINES.finditer(text):
        pieces = [(line.start(), line.end())]
        for hs, he in holes:
            pieces = (
                [
                    part
                    for ps, pe in pieces
                    for part in ((ps, min(pe, hs)), (max(ps, he), pe))
                    if part[0] < part[1]
                ]
                if any(hs < pe and he > ps for ps, pe in pieces)
                else pieces
            )
        for ps, pe in pieces:
            for s, e in _split(text, ps, pe):
                for cs, ce in _cut(text, s, e):
                    if any(c.isalnum() for c in text[cs:ce]):
                        out.append(Sentence(cs, ce, folded[cs:ce]))
    return out


def _cut(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """``[start, end)`` in pieces of at most :data:`MAX_SENTENCE_CHARS`, cut at a space."""
    while end - start > MAX_SENTENCE_CHARS:
        at = text.rfind(" ", start + 1, start + MAX_SENTENCE_CHARS)
        if at <= start:
            at = start + MAX_SENTENCE_CHARS
        yield start, at
        start = at
        while start < end and text[start].isspace():
            start += 1
    if end > start:
        yield start, end
