"""The demo book's words and proportions: company and people names, ticket and e-mail
subjects, NPS comments, sentiment notes, churn reasons, and each segment's share, products
and habits. Plain data, kept apart from the generator."""

from accounts.models import Segment

# ---------------------------------------------------------------- word lists


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


NAME_FIRST = _words(
    """
    Blue North Iron Silver Bright Cedar Granite Harbor Summit Maple Copper Falcon Quartz
    River Stone Golden Oak Aurora Pine Crimson Atlas Lumen Nova Vertex Coral Sterling Orchid
    Willow Evergreen Meridian Polar Cobalt Sage Ember Tidal Prairie
    """
)
NAME_SECOND = _words(
    """
    Peak Forge Bridge Field Wave Point Leaf Gate Path Crest Works Line Labs Mark Yard Vale
    Sky Rock Port Loop Grid Bay Spring Shore Ridge Hill Well Stream Nest Light
    """
)
NAME_SUFFIX = _words(
    """
    Logistics Health Systems Foods Partners Group Analytics Energy Retail Software
    Manufacturing Media Finance Dental Robotics Travel Insurance Education
    """
)
PEOPLE_FIRST = _words(
    """
    Alex Jordan Taylor Priya Mateo Sofia Liam Aisha Noah Mia Kenji Elena Omar Hannah Lucas
    Zara Ethan Chloe Ravi Ingrid Tom Lea
    """
)
PEOPLE_LAST = _words(
    """
    Smith Garcia Chen Patel Müller Rossi Kowalski Dubois Silva Kim Nakamura Johansson Okoye
    Novak Murphy Haddad Lopez Schmidt Brown
    """
)
TICKET_SUBJECTS = (
    "Cannot log in with SSO",
    "Export to CSV times out",
    "Dashboard shows wrong totals",
    "How do I add a user?",
    "Invoice address change",
    "API returns 500 on /reports",
    "Slow page loads since Monday",
    "Request: dark mode",
    "Webhook not firing",
    "Data sync stuck",
    "Permission error for managers",
    "Need help with report filters",
    "Billing question",
    "Integration with Salesforce fails",
    "Scheduled report not delivered",
)
EMAIL_SUBJECTS = (
    "Your monthly usage report",
    "New: scheduled exports",
    "Webinar: getting more from reports",
    "Tips for onboarding your team",
    "Quarterly business review",
    "Product update",
    "Your renewal is coming up",
    "Customer story: how teams save 5 hours a week",
    "Release notes",
    "Invitation: customer advisory board",
)
NPS_COMMENTS = {
    "promoter": (
        "Love the weekly reports, the whole team uses them every Monday.",
        "Support is fast and friendly.",
        "Saves us hours every week. Would recommend.",
        "Easy to roll out, our managers picked it up in a day.",
        "",
    ),
    "passive": (
        "Does the job, but dashboards are slow with large data sets.",
        "Good product, pricing is a bit steep for us.",
        "Fine overall; the mobile view needs work.",
        "",
    ),
    "detractor": (
        "Too expensive for how little we use it.",
        "Setup took far longer than promised.",
        "We keep hitting bugs in the export.",
        "Our team stopped logging in after the redesign.",
        "Support took a week to answer a critical issue.",
        "Missing the integrations we were told were coming.",
    ),
}
SENTIMENT_NOTES = {
    "green": (
        "Champion is engaged; talking about more seats next quarter.",
        "Great QBR, they shared two new use cases.",
        "Adoption is strong across teams.",
    ),
    "yellow": (
        "Usage dipped after their reorg; follow-up booked.",
        "New stakeholder, not yet convinced.",
        "Asked about cheaper plans.",
    ),
    "red": (
        "Champion left; no reply to the last three e-mails.",
        "Evaluating a competitor, budget under review.",
        "Escalation about open tickets, exec sponsor unhappy.",
    ),
}
CHURN_REASONS = (
    "Budget cuts",
    "Moved to a competitor",
    "Low adoption",
    "Champion left",
    "Missing features",
)

# Seats, list price per seat (MRR) and share of annual contracts by segment.
SEGMENTS = {
    Segment.SMB: ((10, 40), 32, 0.35),
    Segment.MID_MARKET: ((40, 120), 28, 0.70),
    Segment.ENTERPRISE: ((120, 400), 24, 0.95),
}
SEGMENT_SHARE = ((Segment.SMB, 0.50), (Segment.MID_MARKET, 0.33), (Segment.ENTERPRISE, 0.17))
PAYMENT_TERMS = {Segment.SMB: 14, Segment.MID_MARKET: 30, Segment.ENTERPRISE: 45}
TICKET_RATE = {Segment.SMB: 0.6, Segment.MID_MARKET: 1.0, Segment.ENTERPRISE: 1.8}  # per month
MAIN_PRODUCT = {
    Segment.SMB: "Platform Starter",
    Segment.MID_MARKET: "Platform Growth",
    Segment.ENTERPRISE: "Platform Enterprise",
}
ADDONS = ("Analytics Add-on", "Premium Support")
