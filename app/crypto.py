"""Encryption at rest for Meta tokens (MultiFernet; the first key encrypts)."""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app


class TokenDecryptError(Exception):
    """A stored token cannot be read with any configured key."""


def fernet(keys: str | None = None) -> MultiFernet:
    raw = keys if keys is not None else current_app.config["TOKEN_ENCRYPTION_KEYS"]
    parts = [k.strip() for k in raw.split(",") if k.strip()]
    if not parts:
        raise RuntimeError("TOKEN_ENCRYPTION_KEYS is empty")
    return MultiFernet([Fernet(k.encode()) for k in parts])


def encrypt_token(token: str) -> str:
    return fernet().encrypt(token.encode()).decode()


def decrypt_token(ciphertext: str) -> str:
    try:
        return fernet().decrypt(ciphertext.encode()).decode()
    except InvalidToken as error:
        raise TokenDecryptError(
            "stored token cannot be decrypted with TOKEN_ENCRYPTION_KEYS"
        ) from error


def rotate_token(ciphertext: str) -> str:
    """Re-encrypt with the first key."""
    return fernet().rotate(ciphertext.encode()).decode()


def mask_token(token: str) -> str:
    """`EAAG…x9Qz`: the first and last four characters of a long token (Meta's are 150+)."""
    return f"{token[:4]}…{token[-4:]}" if len(token) >= 40 else "…"
