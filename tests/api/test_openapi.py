"""The OpenAPI 3.1 document, the docs page (vendored assets, no inline script) and unknown endpoints."""

import re


def test_the_schema_is_openapi_3_1_with_every_endpoint(client, db):
    answer = client.get("/api/v1/openapi.json")
    assert answer.status_code == 200
    schema = answer.json()
    assert schema["openapi"].startswith("3.1")
    assert {"/api/v1/readings", "/api/v1/metrics", "/api/v1/goals/{goal_id}/check-ins"} <= set(schema["paths"])
    errors = schema["paths"]["/api/v1/readings"]["post"]["responses"]["422"]["content"]
    assert list(errors) == ["application/problem+json"]


def test_the_docs_load_vendored_scripts_only(client, db):
    answer = client.get("/api/v1/docs")
    assert answer.status_code == 200
    html = answer.content.decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all('src="/static/' in attrs and not body.strip() for attrs, body in scripts)
    assert "vendor/swagger-ui/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()


def test_an_unknown_endpoint_is_a_problem(client, db):
    answer = client.get("/api/v1/nothing-here")
    assert answer.status_code == 404
    assert answer["Content-Type"] == "application/problem+json"
    assert client.get("/api/v1/metrics/abc").status_code == 404
