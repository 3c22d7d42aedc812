"""The signal data admin refuses dates outside 1900–2199, as the import and the API do."""

from django.urls import reverse

from signals.models import Ticket
from tests.factories import TicketFactory


def change_ticket(client, ticket, resolved_on: str):
    return client.post(
        reverse("admin:signals_ticket_change", args=[ticket.pk]),
        {
            "account": ticket.account_id,
            "ticket_id": ticket.ticket_id,
            "subject": "",
            "priority": "normal",
            "opened_at_0": "2026-06-20",
            "opened_at_1": "09:00:00",
            "resolved_at_0": resolved_on,
            "resolved_at_1": "12:00:00",
        },
    )


def test_a_ticket_resolved_in_year_9999_is_refused_in_the_admin(client, admin_user):
    client.force_login(admin_user)
    ticket = TicketFactory()

    response = change_ticket(client, ticket, "9999-12-31")

    assert response.status_code == 200  # the form again, with the error
    assert "Enter a date between 1900-01-01 and 2199-12-31." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.resolved_at is None


def test_a_ticket_resolved_in_the_window_is_saved(client, admin_user):
    client.force_login(admin_user)
    ticket = TicketFactory()

    response = change_ticket(client, ticket, "2026-06-21")

    assert response.status_code == 302, response.content.decode()[:2000]
    assert Ticket.objects.get(pk=ticket.pk).resolved_at.day == 21
