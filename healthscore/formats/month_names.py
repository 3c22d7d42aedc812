"""Month names as dates print them (the `F` and `E` of a date format), listed here so that our
catalogues carry them: where Django's own translation does not write a month as the language
does, ours wins (LOCALE_PATHS come first). Bulgarian writes months in lower case — "2 декември
2026 г." — where Django's catalogue has "Декември". The other languages keep Django's words.
Never imported: makemessages reads it."""

from django.utils.translation import gettext_lazy, pgettext_lazy

MONTHS = [
    gettext_lazy("January"), gettext_lazy("February"), gettext_lazy("March"),
    gettext_lazy("April"), gettext_lazy("May"), gettext_lazy("June"), gettext_lazy("July"),
    gettext_lazy("August"), gettext_lazy("September"), gettext_lazy("October"),
    gettext_lazy("November"), gettext_lazy("December"),
]  # fmt: skip
MONTHS_ALT = [  # the form a date with a day in it takes (`E`)
    pgettext_lazy("alt. month", "January"), pgettext_lazy("alt. month", "February"),
    pgettext_lazy("alt. month", "March"), pgettext_lazy("alt. month", "April"),
    pgettext_lazy("alt. month", "May"), pgettext_lazy("alt. month", "June"),
    pgettext_lazy("alt. month", "July"), pgettext_lazy("alt. month", "August"),
    pgettext_lazy("alt. month", "September"), pgettext_lazy("alt. month", "October"),
    pgettext_lazy("alt. month", "November"), pgettext_lazy("alt. month", "December"),
]  # fmt: skip
