from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = "Customer reality checks"

    def ready(self) -> None:
        from customers import setup  # noqa: F401  (home page sections and demo steps)
