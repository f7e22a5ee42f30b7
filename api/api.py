"""The REST API, version 1: one NinjaAPI, its routers, its problem documents, its OpenAPI 3.1 description.

django-ninja rather than Django REST Framework: it writes OpenAPI 3.1 itself from type hints (drf-spectacular
infers 3.0 from serializers, a second description to keep true), validates with pydantic (a 10,000-reading
body is parsed in milliseconds, not per-field serializer calls), and its endpoints are plain functions that
call the services and selectors the views call, which is how Keel is built.
"""

from ninja import NinjaAPI

from api import problems
from api.auth import TokenAuth
from api.endpoints import customers, goals, metrics, readings

DESCRIPTION = """Keel's REST API. Authenticate with a token (your account menu › API tokens) in the header
`Authorization: Bearer keel_pat_…`. A token does exactly what its user may do in the pages: another department's
objects are 404. Errors are RFC 9457 problem details (`application/problem+json`) with field-level `errors`.
Lists are paged with `cursor` and `limit` and answer `next_cursor`. Each token may make a limited number of
requests a minute (429 with Retry-After beyond it)."""


class KeelAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        """The generated schema, with error responses declared as application/problem+json (what they are)."""
        schema = super().get_openapi_schema(*args, **kwargs)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for status, answer in operation.get("responses", {}).items():
                    content = answer.get("content", {})
                    if str(status).startswith(("4", "5")) and "application/json" in content:
                        content[problems.CONTENT_TYPE] = content.pop("application/json")
        return schema


api = KeelAPI(
    title="Keel API",
    version="1",
    description=DESCRIPTION,
    auth=TokenAuth(),
    urls_namespace="api",
    docs_url=None,  # api.views.docs serves the docs with vendored assets and no inline script
    openapi_url="/openapi.json",
)
problems.install(api)
api.add_router("", readings.router)
api.add_router("", metrics.router)
api.add_router("", goals.router)
api.add_router("", customers.router)
