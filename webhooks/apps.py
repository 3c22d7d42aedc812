from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        # The apps below announce what happened through plain signals of their own (they may
        # not import this app); this is where the webhooks listen.
        from scoring.events import colour_changed, colour_changes_wanted
        from webhooks.receivers import on_colour_changed, on_task_opened, wants_colour_changes
        from workspace.events import task_opened

        colour_changed.connect(on_colour_changed, dispatch_uid="webhooks.colour_changed")
        colour_changes_wanted.connect(wants_colour_changes, dispatch_uid="webhooks.wants_colours")
        task_opened.connect(on_task_opened, dispatch_uid="webhooks.task_opened")
