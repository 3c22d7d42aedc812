"""Logging filters of the project's log configuration (settings.LOGGING)."""

import logging


class ForbiddenOneLine(logging.Filter):
    """A 403 is a refusal the app meant, not a fault: one line with its reason, no traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403 and record.exc_info:
            reason = record.exc_info[1]
            record.msg = f"{record.getMessage()}{f' ({reason})' if str(reason) else ''}"
            record.args = ()
            record.exc_info = record.exc_text = None
        return True
