"""Content-Security-Policy and Permissions-Policy on every response, and templates the policy does not break."""

import re

from django.conf import settings
from django.urls import reverse

from tests.config.test_settings import manage

INLINE = re.compile(r"<style|<script>|<script(?![^>]*\bsrc=)[^>]*>|\sstyle=|\son[a-z]+=", re.IGNORECASE)


def test_production_responses_carry_both_policies(tmp_path):
    code = (
        "from django.test import Client; r = Client().get('/healthz', secure=True); "
        "print(r.status_code); print(r['Content-Security-Policy']); print(r['Permissions-Policy'])"
    )
    result = manage(
        "shell", "-c", code, tmp_path=tmp_path, DJANGO_DEBUG="false", SECRET_KEY="x" * 60, ALLOWED_HOSTS="testserver"
    )
    assert result.returncode == 0, result.stderr
    status, csp, permissions = result.stdout.strip().splitlines()[-3:]
    assert status == "200"
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "camera=()" in permissions and "geolocation=()" in permissions


def test_pages_carry_the_policies(client, org):
    client.force_login(org.bob)
    response = client.get(reverse("today"))
    assert response.status_code == 200
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "microphone=()" in response["Permissions-Policy"]


def test_the_sign_in_page_carries_the_policies(client, db):
    response = client.get(reverse("login"))
    assert "default-src 'self'" in response["Content-Security-Policy"]


def test_no_template_has_inline_scripts_styles_or_event_handlers():
    offenders = [
        f"{path.relative_to(settings.BASE_DIR)}:{number}"
        for path in (settings.BASE_DIR / "templates").rglob("*.html")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if INLINE.search(line)
    ]
    assert offenders == []
