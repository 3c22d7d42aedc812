"""English as CS teams outside the US write it (Django's en_GB), day before month, with the
month's name so that no reader mistakes 02/12 for 12 February or 2 December. Date fields take
ISO dates first (the browser's date input sends them), never mm/dd/yyyy."""

DATE_FORMAT = "j F Y"  # 2 December 2026
SHORT_DATE_FORMAT = "j M Y"  # 2 Dec 2026
YEAR_MONTH_FORMAT = "M Y"  # Dec 2026
MONTH_DAY_FORMAT = "j F"
DATETIME_FORMAT = "j F Y, H:i"
SHORT_DATETIME_FORMAT = "j M Y H:i"
TIME_FORMAT = "H:i"
FIRST_DAY_OF_WEEK = 1  # Monday
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d %b %Y", "%d %B %Y"]
DATETIME_INPUT_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d"]
