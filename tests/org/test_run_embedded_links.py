"""`run_embedded --port`: e-mailed links follow the address Keel is served at, unless KEEL_SITE_URL says otherwise."""

import pytest
from django.core.management import call_command

from core.management.commands import run_embedded
from customers.services.invitations import answer_link


@pytest.fixture
def started(monkeypatch):
    """Run the command without migrating, seeding or starting anything; record what each child would get."""
    seen = {}

    def start(self, name, command):
        seen[name] = (command, self.environment)

    monkeypatch.setattr(run_embedded, "call_command", lambda *args, **kwargs: None)
    monkeypatch.setattr(run_embedded.Command, "_start", start)
    monkeypatch.setattr(run_embedded.Command, "_wait_for_first_exit", lambda self: None)
    monkeypatch.setattr(run_embedded.Command, "_stop_all", lambda self: None)
    monkeypatch.setattr(run_embedded.signal, "signal", lambda *args: None)
    return seen


def test_it_passes_the_served_address_to_its_children_when_keel_site_url_is_not_set(started, monkeypatch, settings):
    monkeypatch.delenv("KEEL_SITE_URL", raising=False)
    settings.KEEL_SITE_URL = "http://127.0.0.1:8000"
    call_command("run_embedded", "--port", "8101", "--no-seed")
    for name in ("web", "worker"):
        assert started[name][1]["KEEL_SITE_URL"] == "http://127.0.0.1:8101"
    assert answer_link("abc") == "http://127.0.0.1:8101/r/abc/"  # and its own links (the demo's e-mails)


def test_it_keeps_keel_site_url_when_it_is_set(started, monkeypatch, settings):
    monkeypatch.setenv("KEEL_SITE_URL", "https://keel.example.org")
    settings.KEEL_SITE_URL = "https://keel.example.org"
    call_command("run_embedded", "--port", "8101", "--no-seed")
    assert started["web"][1]["KEEL_SITE_URL"] == "https://keel.example.org"
    assert started["worker"][1]["KEEL_SITE_URL"] == "https://keel.example.org"
    assert answer_link("abc") == "https://keel.example.org/r/abc/"


def test_it_names_the_host_served_on():
    assert run_embedded.site_url("192.168.1.20", 8101) == "http://192.168.1.20:8101"
    assert run_embedded.site_url("::1", 8101) == "http://[::1]:8101"
    wildcard = "0.0.0.0"  # noqa: S104
    assert run_embedded.site_url(wildcard, 8101) == f"http://{run_embedded.socket.gethostname()}:8101"


def test_the_settings_read_the_site_url_from_the_environment(tmp_path):
    import subprocess
    import sys

    from django.conf import settings as django_settings

    code = "import django; django.setup(); from django.conf import settings; print(settings.KEEL_SITE_URL)"
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "KEEL_SITE_URL": "http://127.0.0.1:8101/",
        "KEEL_DATA_DIR": str(tmp_path),
        "PATH": "/usr/bin:/bin",
    }
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert out.stdout.strip() == "http://127.0.0.1:8101"
