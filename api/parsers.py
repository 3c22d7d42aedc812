"""Request body parsers of the API."""

from django.utils.translation import gettext_lazy as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

TOO_DEEP = _("JSON parse error - the body is nested too deeply.")


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, but a body nested deeper than Python's parser can follow (a thousand
    levels: two kilobytes of `[`) is a 400 like any other malformed body, not a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(TOO_DEEP) from None
