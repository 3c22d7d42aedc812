from django.apps import AppConfig
from django.db.models.signals import pre_delete


class ScoringConfig(AppConfig):
    name = "scoring"
    verbose_name = "Health scores"

    def ready(self) -> None:
        from accounts.models import Account
        from scoring.account_deletions import account_deleting

        pre_delete.connect(
            account_deleting, sender=Account, dispatch_uid="scoring-account-deleting"
        )
