"""What an answer given on the public survey page sets off (the surveys app calls it back)."""

from jobs.queueing import enqueue
from scoring.rescoring import recompute_on_commit
from surveys.models import SurveyResponse
from workspace.tasks import open_followups


def answer_recorded(response: SurveyResponse) -> None:
    """What an answer from the public page sets off, once it is committed: the account is
    rescored (the NPS and CSAT signals read the answer), and a detractor's NPS runs the
    check-in task rules, whose detractor rule opens a task (one per account, as always)."""
    recompute_on_commit([response.account_id], response.responded_on)
    if response.nps_category == "detractor":
        enqueue(open_followups, response.responded_on.isoformat())
