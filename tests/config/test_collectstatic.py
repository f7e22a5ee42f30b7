"""`collectstatic` is a deploy step (README, Production): in production its manifest storage rewrites every file's
references to hashed names, and a reference to a missing file stops the deploy. Vendored Tom Select and Swagger UI
named source maps that were not vendored (MissingFileError: tom-select.complete.min.js.map)."""

import re
from pathlib import Path

from django.conf import settings
from django.core.management import call_command

STATIC = Path(settings.BASE_DIR) / "static"
SOURCE_MAP = re.compile(r"[/*]# sourceMappingURL=([^\s*]+)")


def test_every_source_map_a_static_file_names_is_there():
    missing = []
    for path in STATIC.rglob("*"):
        if path.suffix not in (".js", ".css") or not path.is_file():
            continue
        for name in SOURCE_MAP.findall(path.read_text(encoding="utf-8", errors="replace")[-500:]):
            if not name.startswith("data:") and not (path.parent / name).is_file():
                missing.append(f"{path.relative_to(STATIC)} -> {name}")
    assert not missing, "remove the sourceMappingURL comment, or vendor the map: " + ", ".join(missing)


def test_collectstatic_with_the_production_manifest_succeeds(tmp_path, settings):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    assert (tmp_path / "staticfiles.json").is_file()
