from django.apps import AppConfig
from django.db.models.signals import pre_delete


class ScoringConfig(AppConfig):
    name = "scoring"
    verbose_name = "Health scores"

    def ready(self) -> None:
        from accounts.models import Account
        from scoring.account_deletions import account_deleting
        from scoring.models import Scorecard

        for model in (Account, Scorecard):
            pre_delete.connect(
                account_deleting, sender=model, dispatch_uid=f"scoring-deleting-{model.__name__}"
            )
