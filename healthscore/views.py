from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils import timezone

from accounts.models import Account
from signals.revenue import mrr_by_account

PAGE_SIZE = 50


def home(request):
    return redirect("account_list")


def account_list(request):
    """The accounts the user may see, with today's MRR."""
    # The pk breaks ties between equal names, so no account is skipped or repeated across pages.
    accounts = (
        Account.objects.visible_to(request.user).select_related("owner").order_by("name", "pk")
    )
    query = request.GET.get("q", "").strip()
    if query:
        accounts = accounts.filter(Q(name__icontains=query) | Q(external_id__iexact=query))
    page = Paginator(accounts, PAGE_SIZE).get_page(request.GET.get("page"))
    # "Today" in the configured TIME_ZONE, not the server's clock.
    mrr = mrr_by_account(timezone.localdate(), [a.pk for a in page])
    rows = [(account, mrr.get(account.pk)) for account in page]
    return render(
        request, "healthscore/account_list.html", {"page": page, "rows": rows, "q": query}
    )
