"""The chunked encryption format and gunzip refuse every kind of damage (no database needed)."""

import gzip
import io
import os
import struct

import pytest
from cryptography.fernet import Fernet, MultiFernet

from app.services.backups.artifact import (
    CHUNK,
    MAGIC,
    EncryptingWriter,
    fernet_from,
    gunzip,
    iter_decrypted,
)
from app.services.backups.manifest import BackupError

KEY = Fernet.generate_key().decode()


def encrypt(data: bytes, chunk_size: int = 1000, key: str = KEY) -> bytes:
    out = io.BytesIO()
    writer = EncryptingWriter(out, fernet_from(key), chunk_size=chunk_size)
    for start in range(0, len(data), 333):  # writes that straddle frame boundaries
        writer.write(data[start : start + 333])
    writer.close()
    return out.getvalue()


def decrypt(blob: bytes, key: str = KEY) -> bytes:
    return b"".join(iter_decrypted(io.BytesIO(blob), fernet_from(key)))


def frames(blob: bytes) -> list[bytes]:
    """The raw frames (length prefix included) after the magic bytes."""
    position, found = len(MAGIC), []
    while position < len(blob):
        (length,) = struct.unpack_from(">I", blob, position)
        found.append(blob[position : position + 4 + length])
        position += 4 + length
    return found


@pytest.mark.parametrize("size", [0, 1, 999, 1000, 1001, 5432])
def test_round_trip_over_many_frames(size):
    data = os.urandom(size)
    blob = encrypt(data)
    assert blob.startswith(MAGIC)
    assert size < 999 or data[:999] not in blob
    assert decrypt(blob) == data
    assert len(frames(blob)) == max(1, -(-size // 1000))


def test_a_second_key_decrypts_what_the_old_first_key_wrote():
    newer = Fernet.generate_key().decode()
    assert decrypt(encrypt(b"lead data" * 300), key=f"{newer},{KEY}") == b"lead data" * 300


def test_a_wrong_key_is_refused():
    with pytest.raises(BackupError, match="another key"):
        decrypt(encrypt(b"x" * 3000), key=Fernet.generate_key().decode())


def test_a_file_cut_at_a_frame_boundary_is_refused():
    blob = encrypt(os.urandom(3500))
    cut = MAGIC + b"".join(frames(blob)[:2])
    with pytest.raises(BackupError, match="truncated"):
        decrypt(cut)


def test_a_file_cut_inside_a_frame_is_refused():
    blob = encrypt(os.urandom(3500))
    with pytest.raises(BackupError, match="truncated"):
        decrypt(blob[:-10])


def test_reordered_or_repeated_frames_are_refused():
    parts = frames(encrypt(os.urandom(3500)))
    for shuffled in ([parts[1], parts[0], *parts[2:]], [parts[0], parts[0], *parts[1:]]):
        with pytest.raises(BackupError, match="out of order"):
            decrypt(MAGIC + b"".join(shuffled))


def test_data_after_the_final_frame_is_refused():
    with pytest.raises(BackupError, match="after its end"):
        decrypt(encrypt(b"abc" * 1000) + b"\x00")


def test_a_changed_byte_is_refused():
    blob = bytearray(encrypt(os.urandom(3000)))
    blob[len(blob) // 2] ^= 0x01
    with pytest.raises(BackupError):
        decrypt(bytes(blob))


def test_an_invalid_key_is_named():
    with pytest.raises(BackupError, match="BACKUP_ENCRYPTION_KEY"):
        fernet_from("not-a-key")
    assert fernet_from(" ") is None and isinstance(fernet_from(KEY), MultiFernet)


def test_gunzip_hands_out_bounded_pieces():
    zeros = gzip.compress(bytes(20 * CHUNK))
    assert len(zeros) < CHUNK
    pieces = list(gunzip([zeros]))
    assert max(map(len, pieces)) <= CHUNK and sum(map(len, pieces)) == 20 * CHUNK


def test_gunzip_checks_the_end_and_the_checksum():
    data = os.urandom(50_000)
    packed = gzip.compress(data)
    assert b"".join(gunzip([packed[:1000], packed[1000:]])) == data
    with pytest.raises(BackupError, match="truncated"):
        b"".join(gunzip([packed[:-20]]))
    for extra in ([packed + b"x"], [packed, b"x"]):
        with pytest.raises(BackupError, match="after its compressed end"):
            b"".join(gunzip(extra))
    damaged = bytearray(packed)
    damaged[-6] ^= 0xFF  # inside the CRC32 trailer
    with pytest.raises(BackupError, match="damaged"):
        b"".join(gunzip([bytes(damaged)]))
