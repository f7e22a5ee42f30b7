from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = "Customer reality checks"

    def ready(self) -> None:
        from customers import demo, today
        from customers.services import import_jobs
        from metrics.services import import_jobs as jobs

        today.register()
        demo.register()
        jobs.register(import_jobs.UPLOAD_KIND, import_jobs.run)
