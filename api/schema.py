"""OpenAPI details drf-spectacular cannot see by itself: the error answers every endpoint can
give, and the body of a bulk write (one row or a list of rows, named by the CSV columns)."""

from typing import Any, cast

from django.db import models
from drf_spectacular.openapi import AutoSchema

from accounts.dates import EARLIEST, LATEST
from api.ingest import MAX_ROWS
from api.serializers import ErrorSerializer
from signals.cells import signed_number
from signals.kinds import ImportKind

# Text the database can store: no NUL character (a 400 names the cell or the parameter).
NO_NUL = r"^[^\u0000]*$"
# A required cell: text with a character other than white space (blank once stripped is
# refused, as in a CSV file), and no NUL.
REQUIRED_TEXT = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"

# The date window (accounts.dates) as patterns, on top of the formats: a date from 1900-01-01 to
# 2199-12-31; a date-time whose UTC instant lies in it, with an offset of at most ±15:59 (what
# PostgreSQL stores). On the window's first and last day the pattern is the cautious reading
# (no zone ahead of UTC on 1900-01-01, none behind it on 2199-12-31), which the API always
# accepts; a regular expression cannot compare a time with its offset.
DATE_PATTERN = r"^(19|20|21)\d\d-\d\d-\d\d$"
_TIME = r"T([01]\d|2[0-3]):[0-5]\d:[0-5]\d([.,]\d+)?"
_OFFSET = r"(Z|[+-](0\d|1[0-5]):[0-5]\d)"
_MIDDLE_DAYS = (
    r"(19(0[1-9]|[1-9]\d)|20\d\d|21([0-8]\d|9[0-8]))-\d\d-\d\d"  # 1901 to 2198
    r"|1900-(01-(0[2-9]|[1-3]\d)|(0[2-9]|1\d)-\d\d)"  # 1900 but its first day
    r"|2199-((0\d|1[01])-\d\d|12-([0-2]\d|30))"  # 2199 but its last day
)
DATE_TIME_PATTERN = (
    rf"^(({_MIDDLE_DAYS}){_TIME}{_OFFSET}"
    rf"|1900-01-01{_TIME}(Z|[+-]00:00|-(0\d|1[0-5]):[0-5]\d)"
    rf"|2199-12-31{_TIME}(Z|[+-]00:00|\+(0\d|1[0-5]):[0-5]\d))$"
)

ERRORS = {
    "400": "Invalid query parameters or request body; `errors` lists each problem.",
    "401": "No credentials, or an invalid or revoked token.",
    "403": "Signed in, but not allowed to do this.",
    "404": "Not found, or not visible to you.",
    "404-list": "A page number past the last page.",
    "413": "The body is larger than DATA_UPLOAD_MAX_MEMORY_SIZE (10 MB by default).",
    "415": "The body must be JSON (Content-Type: application/json).",
    "429": "Too many requests for this token; the Retry-After header says when to retry.",
    "503": "Other requests were writing the same rows at that moment; nothing was written. "
    "Send it again (after the Retry-After header's seconds).",
}


class ApiSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = ["401", "403", "429"]
        if self.method == "GET":
            codes += ["400", "404"] if self._is_list_view() else ["404"]
        elif self.method == "POST":
            codes += ["400", "413", "415", "503"]
        for code in sorted(codes):
            if code not in responses:
                response = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                list_404 = code == "404" and self.method == "GET" and self._is_list_view()
                response["description"] = ERRORS["404-list" if list_404 else code]
                responses[code] = response
        return responses

    def _get_filter_parameters(self):
        parameters = super()._get_filter_parameters()
        for parameter in parameters:
            schema = parameter.get("schema", {})
            if schema.get("type") == "string" and not schema.keys() & {"enum", "format", "pattern"}:
                schema["pattern"] = NO_NUL  # a text filter refuses a NUL character (400)
        return parameters

    def _get_request_body(self, direction="request"):
        body = super()._get_request_body(direction)
        if body is not None and self.method == "POST":
            body["required"] = True
        return body


# ---------------------------------------------------------------- bulk-write bodies

_REFERENCE_LENGTH = {"account": 64, "owner": 150, "author": 150}


def _closure(function: Any) -> dict[str, Any]:
    """The values a parser was built with (text(200) -> {'max_length': 200}), for the docs."""
    code, cells = getattr(function, "__code__", None), getattr(function, "__closure__", None)
    if code is None or not cells:
        return {}
    return dict(zip(code.co_freevars, (cell.cell_contents for cell in cells), strict=True))


# Tag names of at most 64 characters, without the separators: as one cell ("a; b") or a list.
_TAG_NAME = r"[^;|\u0000]{0,64}"
TAGS_SCHEMA = {
    "oneOf": [
        {"type": "string", "pattern": rf"^({_TAG_NAME}[;|])*{_TAG_NAME}$"},
        {"type": "array", "items": {"type": "string", "pattern": rf"^{_TAG_NAME}$"}},
    ],
}


def _column_schema(kind: ImportKind, name: str) -> dict[str, Any]:
    column = kind.column(name)
    built = _closure(column.parse)
    if name == "tags":
        schema = {"oneOf": list(TAGS_SCHEMA["oneOf"])}
    elif column.parse is signed_number:
        schema = {"type": "number"}
    elif name in _REFERENCE_LENGTH:
        schema: dict[str, Any] = {
            "type": "string",
            "maxLength": _REFERENCE_LENGTH[name],
            "pattern": NO_NUL,
        }
    else:
        field = cast(models.Field, kind.model._meta.get_field(name))
        if field.choices:
            schema = {"type": "string", "enum": [value for value, _ in field.choices]}
        elif isinstance(field, models.BooleanField):
            schema = {"type": "boolean"}
        elif isinstance(field, models.DateTimeField):
            schema = {"type": "string", "format": "date-time", "pattern": DATE_TIME_PATTERN}
        elif isinstance(field, models.DateField):
            schema = {"type": "string", "format": "date", "pattern": DATE_PATTERN}
        elif isinstance(field, models.DecimalField):
            schema = {
                "type": "string",
                "pattern": r"^[0-9]{1,10}(\.[0-9]{1,2})?$",
                "description": "an amount, e.g. 1250.00 (a JSON number is accepted too)",
            }
        elif isinstance(field, models.FloatField):
            schema = {"type": "number", "minimum": 0}
        elif isinstance(field, models.IntegerField):
            schema = {"type": "integer"}
            if built.get("minimum") is not None:
                schema["minimum"] = built["minimum"]
            if built.get("maximum") is not None:
                schema["maximum"] = built["maximum"]
        elif isinstance(field, models.EmailField):
            schema = {"type": "string", "format": "email"}
        else:
            schema = {"type": "string", "pattern": NO_NUL}
            if built.get("max_length"):
                schema["maxLength"] = built["max_length"]
    if column.help:
        schema["description"] = column.help
    if schema.get("format") in ("date", "date-time"):
        window = f"from {EARLIEST} to {LATEST}" + (
            " in UTC" if schema["format"] == "date-time" else ""
        )
        schema["description"] = "; ".join(filter(None, [column.help, window]))
    if "oneOf" in schema:  # null is one of the alternatives' values (OpenAPI 3.0)
        schema["oneOf"] = [{**schema["oneOf"][0], "nullable": True}, *schema["oneOf"][1:]]
    elif not column.required:
        schema["nullable"] = True
    elif schema.get("pattern") == NO_NUL:
        # A required cell is refused when blank once stripped, as in a CSV file: say so.
        schema.update(minLength=1, pattern=REQUIRED_TEXT)
    return schema


def row_schema(kind: ImportKind) -> dict[str, Any]:
    return {
        "type": "object",
        "description": f"One {kind.name} row, named by the columns of the CSV import. "
        f"{kind.description} Natural key: {', '.join(kind.key)}.",
        "properties": {column.name: _column_schema(kind, column.name) for column in kind.columns},
        "required": kind.required,
        "additionalProperties": False,
    }


def bulk_body(kind: ImportKind) -> dict[str, Any]:
    row = row_schema(kind)
    return {
        "application/json": {
            "oneOf": [
                row,
                {"type": "array", "items": row, "maxItems": MAX_ROWS},
            ]
        }
    }
