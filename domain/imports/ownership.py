"""Who may import each row: the ownership rules of `domain.access.rules`, applied row by row to checked column
values. Pure: what it needs of the stored rows (people's teams, leads' owners) comes in as mappings.

An import runs these after a row's own checks: a refused row is a line error that names the rule, like any other.
Stage and assignment rows follow the lead rules as of the rows before them in the same import: an ASSIGNED row
hands the lead over for the rows after it.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from domain.access import rules as access
from domain.access.rules import LeadOwnership
from domain.org.rules import Principal, TeamFunction

MAX_TOUCH_MINUTES = 24 * 60  # a touch lasts a day at most


@dataclass
class Owners:
    """The state the lead rules read, per lead id, kept as an import's rows are accepted."""

    team_of_person: Mapping[int, int]
    function_of_team: Mapping[int, TeamFunction]
    leads: dict[int, LeadOwnership] = field(default_factory=dict)

    def lead(self, lead_id: int) -> LeadOwnership:
        return self.leads.get(lead_id) or LeadOwnership(None, None)

    def team_function(self, person_id: int | None) -> TeamFunction | None:
        team_id = self.team_of_person.get(person_id) if person_id is not None else None
        return self.function_of_team.get(team_id) if team_id is not None else None


def touchpoint_refusal(actor: Principal, values: tuple, owners: Owners) -> str | None:
    _, _, _, _, _, _, team_id, person_id, _ = values
    person_team = owners.team_of_person.get(person_id) if person_id is not None else None
    return access.touch_row_refusal(actor, team_id, person_team)


def lead_event_refusal(actor: Principal, values: tuple, owners: Owners) -> str | None:
    """A behaviour is marketing's; a STAGE row follows `lead_stage_refusal`, an ASSIGNED row `lead_assign_refusal`
    and the owner rule. An accepted row moves the lead's state for the rows after it."""
    _, lead_id, _, type_, stage, owner_id, actor_person_id, _, _, _ = values
    lead = owners.lead(lead_id)
    if type_ == "STAGE":
        refusal = access.lead_stage_refusal(actor, lead, stage)
        if refusal is None:
            owners.leads[lead_id] = LeadOwnership.at_stage(lead.owner_person_id, lead.owner_team_id, stage)
        return refusal
    if type_ == "ASSIGNED":
        problem = access.owner_problem(owners.team_function(owner_id))
        if problem is not None:
            return problem
        refusal = access.lead_assign_refusal(actor, lead)
        if refusal is None:
            owners.leads[lead_id] = LeadOwnership(owner_id, owners.team_of_person.get(owner_id), lead.handed_back)
        return refusal
    person_team = owners.team_of_person.get(actor_person_id) if actor_person_id is not None else None
    return access.behaviour_row_refusal(actor, person_team)


def opportunity_refusal(actor: Principal, values: tuple, owners: Owners) -> str | None:
    owner_id = values[7]
    return access.opportunity_row_refusal(actor, owners.team_of_person.get(owner_id) if owner_id else None)


ROW_REFUSALS = {"touchpoints": touchpoint_refusal, "lead-events": lead_event_refusal,
                "opportunities": opportunity_refusal}
