"""Bearer tokens: who may read and who may write.

Tokens come from settings (``GEOKG_TOKENS``, ``GEOKG_TOKENS_FILE``) as ``name:role:token``.
A request's token is compared with every configured one in constant time; tokens are never
logged or echoed, only their names (which go into the change log as the writer).
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = ["MIN_TOKEN_LENGTH", "Token", "TokenError", "match_token", "parse_tokens"]

MIN_TOKEN_LENGTH = 16
"""Shortest secret accepted: a guessable token is a configuration error."""

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_SECRET = re.compile(r"^[\x21-\x7e]+$")


class TokenError(ValueError):
    """A token entry in the settings is malformed."""


@dataclass(frozen=True)
class Token:
    """A configured token: its name (shown in the change log), role and secret."""

    name: str
    role: Literal["read", "write"]
    secret: str = ""

    def __repr__(self) -> str:
        return f"Token(name={self.name!r}, role={self.role!r})"


def _entry(text: str, where: str) -> Token:
    parts = text.split(":", 2)
    if len(parts) != 3:
        raise TokenError(f"{where}: expected name:role:token")
    name, role, secret = (p.strip() for p in parts)
    if not _NAME.match(name):
        raise TokenError(f"{where}: token name {name[:64]!r} must be letters, digits, . _ -")
    if role not in ("read", "write"):
        raise TokenError(f"{where}: role must be read or write, not {role[:16]!r}")
    if len(secret) < MIN_TOKEN_LENGTH or not _SECRET.match(secret):
        raise TokenError(
            f"{where}: the token of {name!r} must be at least {MIN_TOKEN_LENGTH} printable "
            "characters without spaces"
        )
    return Token(name, "read" if role == "read" else "write", secret)


def parse_tokens(inline: str | None, file: Path | None) -> tuple[Token, ...]:
    """Read the tokens of the settings; raise :class:`TokenError` naming the bad entry.

    Examples
    --------
    >>> parse_tokens("ana:write:s3cret-s3cret-s3cret, bot:read:r3ad-only-r3ad-only", None)
    (Token(name='ana', role='write'), Token(name='bot', role='read'))
    >>> parse_tokens("ana:admin:s3cret-s3cret-s3cret", None)
    Traceback (most recent call last):
    ...
    app.auth.TokenError: GEOKG_TOKENS entry 1: role must be read or write, not 'admin'
    """
    tokens: list[Token] = []
    if inline:
        entries = [e for e in re.split(r"[,\n]", inline) if e.strip()]
        tokens += [_entry(e, f"GEOKG_TOKENS entry {i}") for i, e in enumerate(entries, 1)]
    if file is not None:
        try:
            lines = file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise TokenError(f"GEOKG_TOKENS_FILE {file}: cannot read it ({exc})") from None
        for number, line in enumerate(lines, 1):
            if line.strip() and not line.lstrip().startswith("#"):
                tokens.append(_entry(line, f"{file}:{number}"))
    names = [t.name for t in tokens]
    for name in names:
        if names.count(name) > 1:
            raise TokenError(f"token name {name!r} is given twice")
    secrets = [t.secret for t in tokens]
    for token in tokens:
        if secrets.count(token.secret) > 1:
            raise TokenError(f"token {token.name!r} has the same secret as another token")
    return tuple(tokens)


def match_token(tokens: tuple[Token, ...], presented: str) -> Token | None:
    """The token whose secret is ``presented``, compared in constant time with every one."""
    found = None
    given = presented.encode()
    for token in tokens:
        if hmac.compare_digest(token.secret.encode(), given):
            found = token
    return found
