"""The scorecard admin as an admin sees it: drafts named once, live scorecards without Save
buttons, the signal list's hint when no draft exists, and the weight-share editor's assets."""

import pytest

from audit.models import AuditEntry
from scoring.models import Scorecard
from scoring.versioning import draft_create, version_record
from tests.scoring.test_versioning import inline_data


@pytest.fixture
def live(default_scorecard):
    version_record(default_scorecard)
    return default_scorecard


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_a_draft_says_draft_once_in_title_breadcrumbs_message_and_audit(admin_client, live):
    admin_client.post(f"/admin/scoring/scorecard/{live.pk}/draft/")
    draft = Scorecard.objects.get(draft_of=live)
    assert str(draft) == "Default (draft)"
    url = f"/admin/scoring/scorecard/{draft.pk}/change/"
    html = admin_client.get(url).content.decode()
    assert "<title>Default (draft) | Change scorecard" in html
    assert "&rsaquo; Default (draft)\n" in html  # the breadcrumb
    assert "(draft) (draft)" not in html
    response = admin_client.post(url, inline_data(draft, usage=35), follow=True)
    text = response.content.decode()
    assert "Default (draft)</a>” was changed successfully" in text
    assert "(draft) (draft)" not in text
    assert set(AuditEntry.objects.filter(object_id=str(draft.pk)).values_list(
        "object_repr", flat=True
    )) == {"Default (draft)"}  # fmt: skip


def test_a_live_scorecard_is_viewed_without_save_buttons_and_refuses_a_post(admin_client, live):
    url = f"/admin/scoring/scorecard/{live.pk}/change/"
    html = admin_client.get(url).content.decode()
    assert "<title>Default (v1) | View scorecard" in html
    assert 'name="_save"' not in html and 'name="_continue"' not in html
    assert 'id="edit-as-draft"' in html
    assert admin_client.post(url, inline_data(live, usage=99)).status_code == 403
    assert live.signals.get(key="usage").weight == 30


def test_the_draft_editor_loads_the_weight_share_script_and_its_styles(
    admin_client, live, admin_user
):
    draft = draft_create(scorecard=live, actor=admin_user)
    html = admin_client.get(f"/admin/scoring/scorecard/{draft.pk}/change/").content.decode()
    assert '<script src="/static/js/weight_share.js" defer></script>' in html
    assert '<link rel="stylesheet" href="/static/css/admin_scorecard.css">' in html
    assert 'name="signals-0-weight"' in html  # what the script reads


def test_the_signal_list_explains_itself_when_no_draft_exists(admin_client, live, admin_user):
    html = admin_client.get("/admin/scoring/signaldefinition/").content.decode()
    assert "Only the signals of drafts are listed here, and no scorecard has a draft." in html
    assert 'href="/admin/scoring/scorecard/"' in html
    draft_create(scorecard=live, actor=admin_user)
    html = admin_client.get("/admin/scoring/signaldefinition/").content.decode()
    assert "no scorecard has a draft" not in html
    assert "Product usage" in html
