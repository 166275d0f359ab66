"""A one-line progress report for long CLI commands: on a terminal only, quiet otherwise.

It shows items, bytes, the rate and, when the total is known, the time left; it redraws at most
a few times a second and leaves the final figures on their line when done. Nothing is written
when the stream is not a terminal (a pipe, a file, a CI log).
"""

from __future__ import annotations

import io
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, BinaryIO, TextIO

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

__all__ = ["CountingReader", "Progress", "human_bytes"]


def human_bytes(count: float) -> str:
    """A byte count for people.

    Examples
    --------
    >>> human_bytes(512), human_bytes(1536), human_bytes(3 * 1024**3)
    ('512 B', '1.5 KiB', '3.0 GiB')
    """
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    raise AssertionError("unreachable")


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class Progress:
    """Counts items and bytes and redraws one status line on ``stream`` if it is a terminal.

    Examples
    --------
    >>> out = io.StringIO()
    >>> with Progress("reading", total=100, stream=out) as progress:
    ...     progress.add_bytes(50)
    >>> out.getvalue()  # not a terminal: nothing
    ''
    >>> line = Progress("reading", total=100, stream=out, enabled=True, clock=lambda: 2.0)
    >>> line.started = 0.0
    >>> line.add_bytes(50); line.set_items(7)
    >>> line.status()
    'reading: 7 items, 50 B of 100 B (50%), 25 B/s, 0:00:02 left'
    """

    def __init__(
        self,
        what: str,
        *,
        total: int | None = None,
        stream: TextIO | None = None,
        enabled: bool | None = None,
        interval: float = 0.2,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.what = what
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.interval = interval
        self.clock = clock
        self.started = clock()
        self.drawn = 0.0
        self.bytes = 0
        self.items: int | None = None
        self.width = 0

    def add_bytes(self, count: int) -> None:
        """Count bytes read or written."""
        self.bytes += count
        self._tick()

    def set_items(self, count: int) -> None:
        """Say how many items are done."""
        self.items = count
        self._tick()

    def track(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        """Pass chunks through, counting their bytes."""
        for chunk in chunks:
            self.add_bytes(len(chunk))
            yield chunk

    def status(self) -> str:
        """The status line as it stands."""
        elapsed = max(self.clock() - self.started, 1e-9)
        rate = self.bytes / elapsed
        parts = [] if self.items is None else [f"{self.items} items"]
        size = human_bytes(self.bytes)
        if self.total:
            size += f" of {human_bytes(self.total)} ({100 * self.bytes // self.total}%)"
        parts += [size, f"{human_bytes(rate)}/s"]
        if self.total and rate > 0 and self.bytes < self.total:
            parts.append(f"{_duration((self.total - self.bytes) / rate)} left")
        elif not self.total:
            parts.append(f"{_duration(elapsed)} elapsed")
        return f"{self.what}: {', '.join(parts)}"

    def _tick(self) -> None:
        if not self.enabled:
            return
        now = self.clock()
        if now - self.drawn >= self.interval:
            self.drawn = now
            self._draw()

    def _draw(self) -> None:
        line = self.status()
        self.stream.write("\r" + line.ljust(self.width))
        self.stream.flush()
        self.width = len(line)

    def close(self) -> None:
        """Draw the final status and end its line (if one was drawn)."""
        if self.enabled and self.width:
            self._draw()
            self.stream.write("\n")
            self.stream.flush()
            self.width = 0

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class CountingReader(io.RawIOBase):
    """A raw binary stream that reports each read's size (wrap it in ``io.BufferedReader``).

    It can seek if the stream under it can; a seek reports the move (negative going back), so
    the bytes counted are always the position in the stream.
    """

    def __init__(self, raw: BinaryIO, on_bytes: Callable[[int], None]) -> None:
        super().__init__()
        self.raw = raw
        self.on_bytes = on_bytes

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        data = self.raw.read(len(memoryview(buffer)))
        count = len(data)
        memoryview(buffer).cast("B")[:count] = data
        self.on_bytes(count)
        return count

    def seekable(self) -> bool:
        return self.raw.seekable()

    def tell(self) -> int:
        return self.raw.tell()

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        before = self.raw.tell()
        position = self.raw.seek(offset, whence)
        self.on_bytes(position - before)
        return position
