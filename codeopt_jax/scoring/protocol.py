"""Length-prefixed JSON messages over pipes between the pool and its workers.

A frame is a 4-byte big-endian length followed by that many bytes of UTF-8 JSON.
JSON, not pickle: the worker side runs untrusted code, and nothing it sends may be
able to execute code in the trainer when decoded.
"""

from __future__ import annotations

import json
import os
import struct
from typing import Any

_HEADER = struct.Struct("!I")
MAX_MESSAGE_BYTES = 8 * 1024 * 1024


class ProtocolError(Exception):
    """A peer sent something that is not a well-formed frame."""


def encode(message: Any) -> bytes:
    body = json.dumps(message, separators=(",", ":")).encode("utf-8")
    return _HEADER.pack(len(body)) + body


def write_message(fd: int, message: Any) -> None:
    """Writes one frame, looping over partial writes."""
    view = memoryview(encode(message))
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _read_exactly(fd: int, size: int) -> bytes:
    chunks = []
    while size:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            raise EOFError("pipe closed")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def read_message(fd: int) -> Any:
    """Blocking read of one frame (worker side)."""
    (size,) = _HEADER.unpack(_read_exactly(fd, _HEADER.size))
    if size > MAX_MESSAGE_BYTES:
        raise ProtocolError(f"frame of {size} bytes exceeds the limit")
    return json.loads(_read_exactly(fd, size).decode("utf-8"))


class FrameBuffer:
    """Incremental decoder for a non-blocking reader (pool side)."""

    def __init__(self) -> None:
        self._data = bytearray()

    def feed(self, chunk: bytes) -> list[Any]:
        """Adds bytes; returns the complete messages now available. Raises ProtocolError."""
        self._data.extend(chunk)
        messages = []
        while len(self._data) >= _HEADER.size:
            (size,) = _HEADER.unpack_from(self._data)
            if size > MAX_MESSAGE_BYTES:
                raise ProtocolError(f"frame of {size} bytes exceeds the limit")
            end = _HEADER.size + size
            if len(self._data) < end:
                break
            body = bytes(self._data[_HEADER.size:end])
            del self._data[:end]
            try:
                messages.append(json.loads(body.decode("utf-8")))
            except (UnicodeDecodeError, ValueError) as exc:
                raise ProtocolError(f"undecodable frame: {exc}") from None
        return messages
