"""Django's makemessages with Healthscore's options, so that translators, `make messages` and
the catalogue test (tests/i18n/) all build the same catalogues:

- every language of settings.LANGUAGES but English, unless -l/--locale names some;
- no source locations and no obsolete entries, so that a catalogue changes only when a
  message does (not when code moves a line down);
- the code and templates only: not the virtualenv, tests, benchmarks or the demo's data.
"""

from django.conf import settings
from django.core.management.commands import makemessages

IGNORED = [".venv", "venv", "tests", "bench", "demo", "staticfiles", "node_modules", "*.egg-info"]


class Command(makemessages.Command):
    def handle(self, *args, **options):
        if not options["locale"] and not options["all"]:
            options["locale"] = [code for code, _name in settings.LANGUAGES if code != "en"]
        options["ignore_patterns"] = [*options["ignore_patterns"], *IGNORED]
        options["no_location"] = True
        options["no_obsolete"] = True
        return super().handle(*args, **options)
