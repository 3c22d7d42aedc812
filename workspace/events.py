"""What the workspace announces to the apps above it: check-in tasks were opened.

As in `scoring.events`: a plain `django.dispatch.Signal` (not a model signal), sent once per
run of the task rules with the ids of every task it opened, inside its transaction. A listener
queues its own work after the commit and never calls the network inline.
"""

from django.dispatch import Signal

# Sent with `task_ids`: the ids of the tasks just opened.
task_opened = Signal()
