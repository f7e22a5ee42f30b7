"""Answer-link tokens: 256 random bits, shown once in the e-mail, stored only as a SHA-256 hash."""

import hashlib
import secrets


def new_token() -> tuple[str, str]:
    """A fresh (token, hash) pair: the token goes into the link, the hash into Recipient.token_hash."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
