"""Secrets and signatures in the Standard Webhooks convention (https://www.standardwebhooks.com/).

A secret is "whsec_" followed by the base64 of a random key. Each delivery carries three headers:
webhook-id (the message id, the same on every attempt), webhook-timestamp (seconds since the epoch, of this
attempt) and webhook-signature: "v1," and the base64 of HMAC-SHA256(key, "{id}.{timestamp}.{body}").
"""

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
KEY_BYTES = 24  # 192 bits, as Standard Webhooks' reference libraries generate


def new_secret() -> str:
    """A fresh secret, e.g. "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


def key_of(secret: str) -> bytes:
    """The signing key inside a secret (the part after "whsec_", base64-decoded)."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def sign(*, secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The webhook-signature header's value for one attempt: "v1,<base64 signature>"."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key_of(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def headers(*, secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers of one attempt."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret=secret, message_id=message_id, timestamp=timestamp, body=body),
    }
