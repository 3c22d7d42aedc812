"""/api/schema/ as a browser opens it: shown as text, not saved as a file of an unknown type."""

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_a_browser_is_shown_the_yaml_schema_inline(manager_client):
    response = manager_client.get("/api/schema/", HTTP_ACCEPT=BROWSER_ACCEPT)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/yaml; charset=utf-8"
    assert response["Content-Disposition"].startswith("inline")
    assert response.content.decode().startswith("openapi: 3.")


def test_json_on_request_and_the_openapi_type_for_clients_that_ask_for_it(manager_client):
    as_json = manager_client.get("/api/schema/?format=json")
    assert as_json["Content-Type"].startswith("application/vnd.oai.openapi+json")
    assert as_json.json()["info"]["title"] == "Healthscore API"
    asked = manager_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")
    assert asked["Content-Type"].startswith("application/vnd.oai.openapi")
    assert asked.content.decode().startswith("openapi: 3.")
