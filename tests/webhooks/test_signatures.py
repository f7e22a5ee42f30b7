"""Deliveries are signed as the Standard Webhooks convention says, so any of its libraries verifies them."""

import base64
import hashlib
import hmac
import re
import time

from webhooks import signatures

# The test vector published with the Standard Webhooks specification (and its reference libraries).
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def reference_signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The specification's algorithm, written out here independently of webhooks.signatures."""
    key = base64.b64decode(secret.split("_", 1)[1])
    content = message_id.encode() + b"." + str(timestamp).encode() + b"." + body
    return "v1," + base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()


def test_it_reproduces_the_specification_test_vector():
    signed = signatures.sign(secret=VECTOR_SECRET, message_id=VECTOR_ID, timestamp=VECTOR_TIMESTAMP, body=VECTOR_BODY)
    assert signed == VECTOR_SIGNATURE
    assert reference_signature(VECTOR_SECRET, VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY) == VECTOR_SIGNATURE


def test_it_signs_any_body_as_the_reference_does():
    secret = signatures.new_secret()
    body = '{"type":"campaign.closed","data":{"title":"Frühling – “quoted”"}}'.encode()
    headers = signatures.headers(secret=secret, message_id="msg_abc", timestamp=1764000000, body=body)
    assert headers == {
        "webhook-id": "msg_abc",
        "webhook-timestamp": "1764000000",
        "webhook-signature": reference_signature(secret, "msg_abc", 1764000000, body),
    }


def test_a_new_secret_has_the_standard_shape_and_is_new_each_time():
    secret = signatures.new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 24
    assert signatures.new_secret() != secret


def test_the_readme_verifier_accepts_a_delivery_and_refuses_a_changed_body(settings):
    readme = (settings.BASE_DIR / "README.md").read_text()
    code = re.search(r"### Verifying a delivery.*?```python\n(.*?)```", readme, re.S).group(1)
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 (the README's own example, tested so that it stays right)
    secret, body = signatures.new_secret(), b'{"type":"webhook.test"}'
    headers = signatures.headers(secret=secret, message_id="msg_1", timestamp=int(time.time()), body=body)
    assert namespace["verify"](secret, headers, body) is True
    assert namespace["verify"](secret, headers, body + b" ") is False
