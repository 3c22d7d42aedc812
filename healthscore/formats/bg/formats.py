"""Bulgarian: thousands grouped with a no-break space (Django's leave them ungrouped), and the
month in lower case as Bulgarian writes it."""

DATE_FORMAT = r"j E Y \г."  # 2 декември 2026 г.
NUMBER_GROUPING = 3
THOUSAND_SEPARATOR = "\xa0"
