"""The survey knobs come from the environment, and a bad value stops start-up by name."""

import pytest

from tests.healthscore.test_settings import check, run_django


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("HEALTHSCORE_BASE_URL", "health.example.com"),
        ("HEALTHSCORE_SURVEY_LINK_DAYS", "0"),
        ("HEALTHSCORE_SURVEY_QUIET_DAYS", "-1"),
        ("HEALTHSCORE_NPS_INTERVAL_DAYS", "quarterly"),
    ],
)
def test_a_bad_survey_setting_stops_start_up_naming_it(var, value):
    result = check(SECRET_KEY="x", **{var: value})
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert "ImproperlyConfigured" in last_line and var in last_line


def test_the_base_url_may_end_with_a_slash():
    result = run_django(
        [
            "manage.py",
            "shell",
            "-c",
            "from django.conf import settings as s; print(s.HEALTHSCORE_BASE_URL)",
        ],
        SECRET_KEY="x",
        HEALTHSCORE_BASE_URL="https://health.example.com/",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "https://health.example.com"
