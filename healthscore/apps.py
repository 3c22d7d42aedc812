from django.apps import AppConfig


class HealthscoreConfig(AppConfig):
    name = "healthscore"
    verbose_name = "Health scores"
