"""The demo book's words and proportions: company and people names, ticket and e-mail
subjects, NPS comments, sentiment and check-in notes, churn reasons, tags, releases, goals,
and each segment's share, products and habits. Plain data, kept apart from the generator."""

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
        "The Salesforce sync just works; our reps live in it.",
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

# ---------------------------------------------------------------- feedback tags, goals, referrals

# The tag list (name, kind); the releases follow, with their days.
PRODUCT_AREAS = ("onboarding", "billing", "performance", "reporting", "integrations")
FUTURE_PLANS = "expansion"
# A release: its name, how many days before today it shipped (at most; a short book moves it
# in), the product areas its feedback is about, and what it did to how customers felt in the
# 30 days after it (the redesign of 4.2 annoyed people; 4.1 was a quiet one).
RELEASES = (
    ("release 4.1", 120, ("reporting",), 0.0),
    ("release 4.2", 45, ("performance", "reporting"), -0.12),
)
# The product areas each ticket subject and NPS comment is about (tags are data, not UI text).
TICKET_TAGS = {
    "Cannot log in with SSO": ("integrations",),
    "Export to CSV times out": ("reporting", "performance"),
    "Dashboard shows wrong totals": ("reporting",),
    "How do I add a user?": ("onboarding",),
    "Invoice address change": ("billing",),
    "API returns 500 on /reports": ("integrations", "reporting"),
    "Slow page loads since Monday": ("performance",),
    "Webhook not firing": ("integrations",),
    "Data sync stuck": ("integrations",),
    "Need help with report filters": ("reporting", "onboarding"),
    "Billing question": ("billing",),
    "Integration with Salesforce fails": ("integrations",),
    "Scheduled report not delivered": ("reporting",),
}
COMMENT_TAGS = {
    "Love the weekly reports, the whole team uses them every Monday.": ("reporting",),
    "Easy to roll out, our managers picked it up in a day.": ("onboarding",),
    "The Salesforce sync just works; our reps live in it.": ("integrations",),
    "Does the job, but dashboards are slow with large data sets.": ("performance", "reporting"),
    "Good product, pricing is a bit steep for us.": ("billing",),
    "Too expensive for how little we use it.": ("billing",),
    "Setup took far longer than promised.": ("onboarding",),
    "We keep hitting bugs in the export.": ("reporting",),
    "Our team stopped logging in after the redesign.": ("performance",),
    "Missing the integrations we were told were coming.": ("integrations",),
}
# Check-in notes by how the account looked that day, each with its tags.
CHECK_IN_NOTES = {
    "green": (
        ("QBR: they plan to roll out to two more teams next quarter.", ("expansion",)),
        ("Walked their analysts through scheduled reports.", ("reporting",)),
        ("Asked about the enterprise plan for their EU office.", ("expansion", "billing")),
    ),
    "yellow": (
        ("Dashboards feel slow to them since the last update.", ("performance",)),
        ("Finance asked why the last invoice went up.", ("billing",)),
        ("New admin needs a second onboarding session.", ("onboarding",)),
    ),
    "red": (
        ("Escalation call about the broken Salesforce sync.", ("integrations",)),
        ("Sponsor says the reports do not match their numbers.", ("reporting",)),
        ("They are comparing our price with a cheaper tool.", ("billing",)),
    ),
}
# Success goals: the KPI and its target (None: 80 % of the licensed seats).
GOAL_KPIS = (
    ("Weekly active users", None),
    ("Teams onboarded", 6),
    ("Reports created per month", 200),
    ("Hours saved per week", 20),
    ("Scheduled reports in use", 15),
    ("Dashboards shared with leadership", 5),
)
ONBOARDING_GOAL = "Teams onboarded"
REFERRED_SECOND = _words("Clinics Studios Brewing Consulting Freight Labs Dental Legal Outfitters")
