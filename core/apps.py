from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Shared infrastructure"

    def ready(self) -> None:
        from django.core import checks

        from core import stamps

        # After every migrate (and flush), when every app's tables exist: the data stamp triggers as declared.
        pre_migrate.connect(stamps.uninstall, sender=self, dispatch_uid="core.stamps.uninstall")
        post_migrate.connect(stamps.install, sender=self, dispatch_uid="core.stamps.install")
        checks.register(stamps.check_installed, checks.Tags.database)
