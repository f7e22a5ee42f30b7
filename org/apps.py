from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "org"
    verbose_name = "Organization"

    def ready(self) -> None:
        from . import today  # registers the org section of the home page

        today.register_defaults()

