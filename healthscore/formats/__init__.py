"""Date and number formats where Healthscore departs from Django's for a language
(FORMAT_MODULE_PATH); everything not set here is Django's own for that language."""
