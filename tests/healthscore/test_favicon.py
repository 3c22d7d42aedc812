"""The icon: linked by every base template, and /favicon.ico not a 404."""

import pytest


def test_favicon_ico_leads_to_the_static_icon_without_logging_in(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == "/static/favicon.svg"
    icon = client.get(response["Location"])
    assert icon.status_code == 200
    assert b"<svg" in b"".join(icon.streaming_content if icon.streaming else [icon.content])


@pytest.mark.parametrize("path", ["/login/", "/admin/login/"])
def test_pages_link_the_icon(client, db, path):
    html = client.get(path).content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html
