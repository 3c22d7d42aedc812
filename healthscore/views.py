from datetime import date

from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from accounts.models import Account
from signals.revenue import mrr_by_account


def home(request):
    return redirect("account_list")


def account_list(request):
    """The accounts the user may see, with today's MRR."""
    accounts = Account.objects.visible_to(request.user).select_related("owner").order_by("name")
    query = request.GET.get("q", "").strip()
    if query:
        accounts = accounts.filter(name__icontains=query) | accounts.filter(external_id__iexact=query)
    page = Paginator(accounts, 50).get_page(request.GET.get("page"))
    mrr = mrr_by_account(date.today(), [a.pk for a in page])
    rows = [(account, mrr.get(account.pk)) for account in page]
    return render(request, "healthscore/account_list.html", {"page": page, "rows": rows, "q": query})
