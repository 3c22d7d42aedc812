"""The surveys' fixtures, for the survey language tests."""

from tests.surveys.conftest import default_surveys  # noqa: F401 - a fixture
