"""OpenAPI details drf-spectacular cannot see by itself: the error answers every endpoint can
give, and the body of a bulk write (one row or a list of rows, named by the CSV columns)."""

from typing import Any, cast

from django.db import models
from drf_spectacular.openapi import AutoSchema

from accounts.dates import EARLIEST, LATEST
from api.ingest import MAX_ROWS
from api.serializers import ErrorSerializer
from signals.kinds import ImportKind

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


def _column_schema(kind: ImportKind, name: str) -> dict[str, Any]:
    column = kind.column(name)
    built = _closure(column.parse)
    if name in _REFERENCE_LENGTH:
        schema: dict[str, Any] = {"type": "string", "maxLength": _REFERENCE_LENGTH[name]}
    else:
        field = cast(models.Field, kind.model._meta.get_field(name))
        if field.choices:
            schema = {"type": "string", "enum": [value for value, _ in field.choices]}
        elif isinstance(field, models.BooleanField):
            schema = {"type": "boolean"}
        elif isinstance(field, models.DateTimeField):
            schema = {"type": "string", "format": "date-time"}
        elif isinstance(field, models.DateField):
            schema = {"type": "string", "format": "date"}
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
            schema = {"type": "string"}
            if built.get("max_length"):
                schema["maxLength"] = built["max_length"]
    if column.help:
        schema["description"] = column.help
    if schema.get("format") in ("date", "date-time"):
        window = f"from {EARLIEST} to {LATEST}" + (
            " in UTC" if schema["format"] == "date-time" else ""
        )
        schema["description"] = "; ".join(filter(None, [column.help, window]))
    if not column.required:
        schema["nullable"] = True
    elif schema["type"] == "string" and not schema.keys() & {"enum", "format", "pattern"}:
        # A required cell is refused when blank once stripped, as in a CSV file: say so.
        schema.update(minLength=1, pattern=r"\S")
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
