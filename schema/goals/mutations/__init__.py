"""Mutations of the shared goals, one module a group: objectives.py, key_results.py, periods.py."""
from __future__ import annotations

import strawberry

from schema.goals.mutations.key_results import KeyResultMutation
from schema.goals.mutations.objectives import ObjectiveMutation
from schema.goals.mutations.periods import PeriodMutation, PeriodPayload  # noqa: F401  (importable from here)


# The root fields in this order (as before the split): objectives, key results, periods.
@strawberry.type
class GoalsMutation(ObjectiveMutation, KeyResultMutation, PeriodMutation):
    pass
