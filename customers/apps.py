from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = "Customer reality checks"

    def ready(self) -> None:
        from customers import demo, today

        today.register()
        demo.register()
