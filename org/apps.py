from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "org"
    verbose_name = "Organization"

    def ready(self) -> None:
        from org import demo, today

        today.register()
        demo.register()
