"""The API's interactive docs in a real browser: Swagger UI renders every endpoint under the
pages' Content-Security-Policy (no inline script, nothing from another site)."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


def test_the_api_docs_render_offline_under_the_csp(page, log_in, book, live_server):
    blocked = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security" in m.text else None)
    outside = []
    page.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None,
    )
    log_in("morgan")
    page.goto("/api/docs/")
    expect(page.get_by_text("Healthscore API").first).to_be_visible()
    # Swagger UI has fetched the schema and drawn the operations.
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/usage/").first).to_be_visible()
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/health/latest/")).to_be_visible()
    if shots := os.environ.get("HEALTHSCORE_SCREENSHOTS", ""):
        page.screenshot(path=str(Path(shots) / "api-docs.png"))
    assert blocked == [] and outside == []
