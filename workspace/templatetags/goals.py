"""The account page's goals, referrals and tagged-feedback panel, read for its partial."""

from django import template
from django.utils import timezone

from workspace.goals import GoalsPanel, goals_panel

register = template.Library()


@register.simple_tag(takes_context=True)
def account_goals(context, account, tags=None) -> GoalsPanel:
    """{% account_goals account tags as g %}: the panel's data; `?tag=` picks the feedback
    shown. `tags`: the tag list, if the page has read it already."""
    request = context.get("request")
    query = request.GET if request is not None else {}
    return goals_panel(
        account,
        tag_param=query.get("tag", ""),
        today=timezone.localdate(),
        open_=query.get("open") == "goals",
        tags=tags if isinstance(tags, list) else None,  # a missing variable reads as ""
    )
