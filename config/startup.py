"""Loading settings at process start, turning a configuration mistake into one line instead of a traceback."""

import os
import sys


def load_settings_or_exit() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.conf import settings

    from config.env import EnvError

    try:
        settings.INSTALLED_APPS  # noqa: B018  (touching it loads config.settings)
    except EnvError as error:
        sys.stderr.write(f"keel: configuration error: {error}\n")
        sys.exit(2)
