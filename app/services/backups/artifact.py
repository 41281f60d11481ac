"""Byte streams of a backup artifact: hashing, the chunked Fernet format, gunzip. No database.

Encrypted artifacts (`BACKUP_ENCRYPTION_KEY`) are not one Fernet token: a token over a
multi-gigabyte file would need the whole plaintext and its base64 ciphertext in memory, and
could be checked only at its very end. They are a stream of frames instead:

    file  = MAGIC frame+                     MAGIC = b"MLDBAK" 0x00 0x01 (format 1)
    frame = length (uint32, big-endian) token (`length` bytes)
    token = a Fernet token, stored as raw bytes (not base64), whose plaintext is
            index (uint64, big-endian, 0, 1, 2 …) final (uint8, 1 on the last frame) data

Data is at most 1 MiB per frame, so writing and reading hold one frame at a time. Fernet
authenticates each frame (AES-128-CBC + HMAC-SHA256); the index stops frames from being
dropped, repeated or reordered, the final flag stops a file cut at a frame boundary from
passing as whole, and bytes after the final frame are refused.
"""

import base64
import hashlib
import struct
import zlib
from collections.abc import Iterable, Iterator
from typing import BinaryIO, Protocol

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask_babel import gettext as _

from app.services.backups.manifest import BackupError

ENCRYPTION = "fernet-chunked-v1"
MAGIC = b"MLDBAK\x00\x01"
CHUNK = 1 << 20
_LENGTH = struct.Struct(">I")
_FRAME_HEAD = struct.Struct(">QB")
_MAX_TOKEN = 2 * CHUNK  # a 1 MiB frame's token is ~1 MiB + 73 bytes; more means damage


class Writer(Protocol):
    def write(self, data: bytes, /) -> int: ...


class HashingWriter:
    """Writes through to *raw*, keeping the SHA-256 and the size of everything written."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.sha256 = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.raw.write(data)
        self.sha256.update(data)
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        self.raw.flush()


class EncryptingWriter:
    """Encrypts what is written into frames on *raw*; `close()` writes the final frame."""

    def __init__(self, raw: Writer, fernet: MultiFernet, chunk_size: int = CHUNK) -> None:
        self.raw, self.fernet, self.chunk_size = raw, fernet, chunk_size
        self.buffer = bytearray()
        self.index = 0
        raw.write(MAGIC)

    def write(self, data: bytes) -> int:
        self.buffer += data
        while len(self.buffer) > self.chunk_size:  # keep some data back for the final frame
            self._frame(bytes(self.buffer[: self.chunk_size]), final=False)
            del self.buffer[: self.chunk_size]
        return len(data)

    def flush(self) -> None:
        """Nothing to do: a frame goes out when full, or at close."""

    def close(self) -> None:
        self._frame(bytes(self.buffer), final=True)
        self.buffer.clear()

    def _frame(self, data: bytes, *, final: bool) -> None:
        plain = _FRAME_HEAD.pack(self.index, int(final)) + data
        token = base64.urlsafe_b64decode(self.fernet.encrypt(plain))
        self.raw.write(_LENGTH.pack(len(token)) + token)
        self.index += 1


def fernet_from(keys: str) -> MultiFernet | None:
    """MultiFernet over comma-separated keys (the first encrypts), or None when there are none."""
    parts = [key.strip() for key in keys.split(",") if key.strip()]
    if not parts:
        return None
    try:
        return MultiFernet([Fernet(key) for key in parts])
    except ValueError:
        raise BackupError(
            _("BACKUP_ENCRYPTION_KEY is not a list of valid Fernet keys (32 bytes, base64).")
        ) from None


def is_encrypted(raw: BinaryIO) -> bool:
    """True when *raw* starts with the encrypted format's magic bytes (reads from the start)."""
    raw.seek(0)
    head = raw.read(len(MAGIC))
    raw.seek(0)
    return head == MAGIC


def iter_chunks(raw: BinaryIO, size: int = CHUNK) -> Iterator[bytes]:
    while chunk := raw.read(size):
        yield chunk


def iter_decrypted(raw: BinaryIO, fernet: MultiFernet) -> Iterator[bytes]:
    """The plaintext of an encrypted artifact, frame by frame; BackupError on any fault."""
    if raw.read(len(MAGIC)) != MAGIC:
        raise BackupError(_("The backup is not in the encrypted format its manifest names."))
    index, final = 0, False
    while not final:
        token = _read_frame(raw)
        try:
            plain = fernet.decrypt(base64.urlsafe_b64encode(token))
        except InvalidToken:
            raise BackupError(
                _(
                    "The backup cannot be decrypted with BACKUP_ENCRYPTION_KEY: it was made "
                    "with another key, or the file was changed."
                )
            ) from None
        got, final = _FRAME_HEAD.unpack_from(plain)
        if got != index:
            raise BackupError(_("The encrypted backup's frames are out of order: it was changed."))
        yield plain[_FRAME_HEAD.size :]
        index += 1
    if raw.read(1):
        raise BackupError(_("The encrypted backup has data after its end: it was changed."))


def _read_frame(raw: BinaryIO) -> bytes:
    head = raw.read(_LENGTH.size)
    (length,) = _LENGTH.unpack(head) if len(head) == _LENGTH.size else (-1,)
    token = raw.read(length) if 0 < length <= _MAX_TOKEN else b""
    if length == -1 or len(token) != length or not token:
        raise BackupError(_("The encrypted backup is truncated or damaged."))
    return token


def gunzip(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Decompress a gzip stream, checking its CRC and length; BackupError if cut or damaged.
    Output comes in pieces of at most 1 MiB (a megabyte of zeros compresses to a kilobyte)."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        for chunk in chunks:
            if inflater.eof and chunk:
                raise BackupError(_("The backup has data after its compressed end."))
            while chunk:
                yield inflater.decompress(chunk, CHUNK)
                chunk = inflater.unconsumed_tail
            if inflater.unused_data:
                raise BackupError(_("The backup has data after its compressed end."))
        yield inflater.flush()
    except zlib.error as error:
        raise BackupError(_("The backup is damaged (%(error)s).", error=error)) from None
    if not inflater.eof:
        raise BackupError(_("The backup is truncated: its compressed data ends early."))
