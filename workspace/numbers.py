"""How pages show a score: one rule for the headline, the tables, the book and the timeline.

Scores are shown to one decimal with a trailing ".0" dropped ("70", "4.8"), the rule of the
explanation texts (`scoring.maths`), so the headline and "fell from 5 to 4.8" never disagree.
"""

import math

from scoring.maths import Bands


def shown_score(score: float, bands: Bands | None = None) -> float:
    """The score as shown, for a number the colour can be read from.

    The colour is the band of the unrounded score, so rounding may carry a score just under an
    edge onto it: 69.96 would read "70" on a yellow ("Watch") account beside a green 70. There,
    and only there (within 0.05 of an edge), the score is cut to one decimal instead (69.9): the
    number shown stays in the band its colour was computed from.
    """
    shown = round(score, 1) + 0.0  # + 0.0 turns -0.0 into 0.0
    if bands is not None and bands.colour(shown) != bands.colour(score):
        shown = math.floor(score * 10) / 10
    return shown


def shown_points(delta: float) -> float:
    """A change in points, to one decimal like the scores (a change that rounds to 0 is 0)."""
    return round(delta, 1) + 0.0
