"""Who may change what: the ownership rule of every write, one function a rule. Pure: plain values in and out.

Each rule returns None when the actor may act, or a refusal: a sentence saying who may, shown to the caller as a
FORBIDDEN error. GraphQL mutations, `/import/{kind}`, the CLI and `viewerCan` all ask these functions, through the
domain use cases. The table of who may do what is `docs/ownership.md`; a test holds the two together.

Words used below:
- a *leader of team T*: a person with the LEADER role who belongs to T. A service token belongs to no team, so it
  leads none (an ADMIN service token is still an admin).
- the *sales side*: teams whose function is SALES or SDR; the *marketing side*: MARKETING teams.
- a lead is *handed over* once it has an owner; an owner is always a person of a sales-side team.
"""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from domain.errors import forbidden
from domain.org.rules import Principal, Role, TeamFunction

SALES_SIDE = frozenset({TeamFunction.SALES, TeamFunction.SDR})
MARKETING_SIDE = frozenset({TeamFunction.MARKETING})

Refusal = str | None

# The roles that may call a kind of write at all (a top-level FORBIDDEN for the others); which records each may
# change is the rest of this module. Defined once: the GraphQL permission classes are made from these.
ADMINS = frozenset({Role.ADMIN})
GOAL_EDITORS = frozenset({Role.LEADER, Role.ADMIN})      # objectives, key results, SLAs, joint drafts
SIDE_LEADERS = frozenset({Role.LEADER})                  # approvals of joint decisions: one leader a side
LEAD_WORKERS = frozenset({Role.ADMIN, Role.LEADER, Role.MEMBER})  # FINANCE does not work leads
PAY_SETTERS = frozenset({Role.FINANCE, Role.ADMIN})      # pay plans
PAY_MANAGERS = frozenset({Role.FINANCE, Role.ADMIN, Role.LEADER})  # adjustments and disputes of statements
PERIOD_CLOSERS = frozenset({Role.LEADER, Role.FINANCE, Role.ADMIN})  # closing (which of them when: periods.py)
ENDED_PERIOD_CLOSERS = frozenset({Role.FINANCE, Role.ADMIN})  # close an ended period alone (leaders sign it off)
PAY_READERS = frozenset({Role.FINANCE, Role.ADMIN})      # see everyone's pay and cost; adjust anyone's statement


# --- who the actor is ----------------------------------------------------------------------------------------------

def is_person(actor: Principal) -> bool:
    return actor.person_id is not None and actor.team_id is not None


def leads_team(actor: Principal, team_id: int | None) -> bool:
    """A leader of this team: role LEADER and a person of it."""
    return actor.role is Role.LEADER and is_person(actor) and team_id is not None and actor.team_id == team_id


def leads_any(actor: Principal, team_ids: Collection[int]) -> bool:
    return actor.role is Role.LEADER and is_person(actor) and actor.team_id in team_ids


def on_side(actor: Principal, side: frozenset[TeamFunction]) -> bool:
    """A person (of any role) of a team of this side."""
    return is_person(actor) and actor.team_function in side


def leads_side(actor: Principal, side: frozenset[TeamFunction]) -> bool:
    return actor.role is Role.LEADER and on_side(actor, side)


# --- shared goals --------------------------------------------------------------------------------------------------

def objective_edit_refusal(actor: Principal, owner_team_ids: Collection[int]) -> Refusal:
    """Changing an objective (title, owners, archive, score override) and its key results (create, update, archive):
    a leader of one of its owner teams, or an admin."""
    if actor.is_admin or leads_any(actor, owner_team_ids):
        return None
    return "only a leader of one of the objective's owner teams (or an admin) may change it or its key results"


def objective_owners_refusal(actor: Principal, owner_team_ids: Collection[int]) -> Refusal:
    """The owners an objective is created with or given: a team the actor leads stays among them (admins: any)."""
    if actor.is_admin or leads_any(actor, owner_team_ids):
        return None
    if actor.role is Role.LEADER and is_person(actor):
        return "a team you lead must stay among the objective's owners"
    return "only a leader (of a team among the owners) or an admin may set an objective's owners"


def check_in_refusal(actor: Principal, owner_team_ids: Collection[int]) -> Refusal:
    """A check-in on a key result: any person of one of the objective's owner teams, or an admin."""
    if actor.is_admin or (is_person(actor) and actor.team_id in owner_team_ids):
        return None
    return "only members of one of the objective's owner teams (or an admin) check in on its key results"


# --- leads ---------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LeadOwnership:
    """What the lead rules need to know of a lead: its current owner (None before hand-over), the owner's team, and
    whether it was handed back to marketing (its current stage is RECYCLED)."""

    owner_person_id: int | None
    owner_team_id: int | None
    handed_back: bool = False

    @classmethod
    def at_stage(cls, owner_person_id: int | None, owner_team_id: int | None, stage: str | None) -> "LeadOwnership":
        """A lead with this owner at this stage (a stage name or the leads' Stage): a RECYCLED lead was handed back."""
        return cls(owner_person_id, owner_team_id, handed_back=stage == "RECYCLED")

    @property
    def with_marketing(self) -> bool:
        return self.owner_person_id is None or self.handed_back


MARKETING_DECISIONS = frozenset({"MQL", "DISQUALIFIED"})


def _owner_side(actor: Principal, lead: LeadOwnership) -> bool:
    """The owner, the people (members and leaders) of the owner's team."""
    return is_person(actor) and (actor.person_id == lead.owner_person_id or actor.team_id == lead.owner_team_id)


def lead_stage_refusal(actor: Principal, lead: LeadOwnership, stage: str) -> Refusal:
    """Moving a lead to a stage. Qualifying (MQL) is marketing's; so is disqualifying while the lead is with
    marketing (not handed over, or handed back). Every other decision (SAL, SQL, RECYCLED, DISQUALIFIED after the
    hand-over, OPPORTUNITY, WON, LOST) belongs to the owner, the people of the owner's team, or an admin."""
    if actor.is_admin:
        return None
    if actor.role not in LEAD_WORKERS:
        return "FINANCE does not work leads"
    if stage == "MQL" or (lead.with_marketing and stage in MARKETING_DECISIONS):
        if on_side(actor, MARKETING_SIDE):
            return None
        return f"{'qualifying' if stage == 'MQL' else 'disqualifying'} a lead that is with marketing is for people " \
               "of a marketing team (or an admin)"
    if lead.owner_person_id is None:
        return f"{stage} is the owner's decision: the lead has no owner yet, so it must be handed over first " \
               "(by marketing or an admin)"
    if _owner_side(actor, lead):
        return None
    return f"{stage} is for the lead's owner, the people of the owner's team, or an admin"


def lead_assign_refusal(actor: Principal, lead: LeadOwnership) -> Refusal:
    """Assigning a lead. The first assignment (the hand-over the SLA times) is marketing's or an admin's;
    re-assigning an owned lead is for a leader of a sales-side team or of the current owner's team, or an admin."""
    if actor.is_admin:
        return None
    if actor.role not in LEAD_WORKERS:
        return "FINANCE does not work leads"
    if lead.owner_person_id is None:
        if on_side(actor, MARKETING_SIDE):
            return None
        return "the hand-over (a lead's first assignment) is made by people of a marketing team (or an admin)"
    if leads_side(actor, SALES_SIDE) or leads_team(actor, lead.owner_team_id):
        return None
    return "re-assigning an owned lead is for a leader of a sales or SDR team, a leader of the owner's team, or an " \
           "admin"


def owner_problem(owner_team_function: TeamFunction | None) -> str | None:
    """An owner is always a person of a sales-side team (not a refusal: the record asked for is not allowed)."""
    if owner_team_function in SALES_SIDE:
        return None
    return "a lead's owner is a person of a SALES or SDR team"


# --- joint decisions, agreements and pay ---------------------------------------------------------------------------

def side_of(role: Role, team_function: TeamFunction | None) -> str | None:
    """"SALES" for a LEADER of a sales-side team, "MARKETING" for a LEADER of a marketing team, else None: the side
    a leader signs for in a joint decision (the lead definition, the model of record, a period's close). A service
    token has no team (team_function None) and so leads no side."""
    if role is not Role.LEADER or team_function is None:
        return None
    if team_function in SALES_SIDE:
        return "SALES"
    if team_function in MARKETING_SIDE:
        return "MARKETING"
    return None


def approval_side(actor: Principal) -> str | None:
    """The side `actor` signs for (see side_of); None for anyone but a leader of a sales-side or marketing team."""
    return side_of(actor.role, actor.team_function) if is_person(actor) else None


def joint_draft_refusal(actor: Principal, what: str) -> Refusal:
    """Drafting a joint decision (a lead definition, a model-of-record proposal): a leader of either side, or an
    admin. It takes effect only once both sides approve it."""
    if actor.is_admin or approval_side(actor) is not None:
        return None
    return f"{what} is drafted by a leader of a sales, SDR or marketing team (or an admin)"


def sla_agreement_refusal(actor: Principal, marketing_team_id: int, sales_team_id: int) -> Refusal:
    """An SLA binds two teams: a leader of either of them, or an admin, agrees it."""
    if actor.is_admin or leads_any(actor, (marketing_team_id, sales_team_id)):
        return None
    return "an SLA is agreed by a leader of its marketing or its sales team (or an admin)"


def pay_set_refusal(actor: Principal) -> Refusal:
    """Setting pay plans and deals' crediting splits: FINANCE or an admin."""
    if actor.role in PAY_SETTERS:
        return None
    return "pay plans and crediting splits are set by FINANCE or an admin"


def pay_manage_refusal(actor: Principal, person_team_id: int) -> Refusal:
    """Adjusting a locked statement: FINANCE, an admin, or a leader of the person's team."""
    if actor.role in PAY_READERS or leads_team(actor, person_team_id):
        return None
    return "adjustments are for finance, admins and the leaders of the person's team"


def dispute_resolve_refusal(actor: Principal, person_id: int, person_team_id: int) -> Refusal:
    """Resolving a dispute: FINANCE, an admin, or a leader of the person's team, never the person who raised it."""
    if pay_manage_refusal(actor, person_team_id) is None and actor.person_id != person_id:
        return None
    return "a dispute is resolved by a leader of the person's team, finance or an admin (not by its author)"


def dispute_raise_refusal(actor: Principal) -> Refusal:
    if is_person(actor):
        return None
    return "a dispute is raised by the person whose statement it is"


# --- pay and cost privacy ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PayScope:
    """Whose pay and cost figures a viewer may see: everyone's, or their own (`person_id`) and those of the people of
    the team they lead (`led_team_id`), and that team's totals."""

    everyone: bool
    person_id: int | None = None
    led_team_id: int | None = None

    def covers_person(self, person_id: int, person_team_id: int | None) -> bool:
        return self.everyone or (self.person_id is not None and person_id == self.person_id) or \
            (self.led_team_id is not None and person_team_id == self.led_team_id)

    def covers_team(self, team_id: int) -> bool:
        return self.everyone or (self.led_team_id is not None and team_id == self.led_team_id)


def pay_scope(viewer: Principal) -> PayScope:
    """The one pay privacy rule: FINANCE and ADMIN see everyone's; anyone else their own, and a leader their team's
    (its people and its totals). GraphQL's pay fields, the statements, the close preview and the CSVs all ask it."""
    if viewer.role in PAY_READERS:
        return PayScope(everyone=True)
    return PayScope(False, viewer.person_id, viewer.team_id if leads_team(viewer, viewer.team_id) else None)


def can_see_pay(viewer: Principal, person_id: int, person_team_id: int | None) -> bool:
    """A person's pay and cost figures: the person, leaders of the person's team, FINANCE and ADMIN."""
    return pay_scope(viewer).covers_person(person_id, person_team_id)


def can_see_team_pay(viewer: Principal, team_id: int) -> bool:
    """A team's pay and cost totals: its leaders, FINANCE and ADMIN."""
    return pay_scope(viewer).covers_team(team_id)


# --- tokens ------------------------------------------------------------------------------------------------------

def token_refusal(actor: Principal, token_id: int, token_person_id: int | None,
                  created_by_token_id: int | None) -> Refusal:
    """Seeing, listing and revoking a token: the token itself, the tokens acting as the actor's person, the export
    tokens the actor made; an admin any token."""
    if actor.is_admin:
        return None
    if actor.token_id is not None and actor.token_id in (token_id, created_by_token_id):
        return None
    if actor.person_id is not None and token_person_id == actor.person_id:
        return None
    return "a token is seen and revoked by its holder, the person it acts as, its creator, or an admin"


# --- imports -------------------------------------------------------------------------------------------------------

IMPORT_KINDS_OF_LEADERS = frozenset({"leads", "lead-events", "touchpoints"})


def import_refusal(actor: Principal, kind: str) -> Refusal:
    """Who may import a kind at all (rows are then checked one by one): leads, lead events and touchpoints by any
    LEADER; opportunities by FINANCE or a leader of a sales-side team; opportunity splits as opportunitySplitSet
    (FINANCE or an admin); every kind by an admin."""
    if actor.is_admin:
        return None
    if kind == "opportunity-splits":
        return pay_set_refusal(actor)
    if kind in IMPORT_KINDS_OF_LEADERS and actor.role is Role.LEADER and is_person(actor):
        return None
    if kind == "opportunities" and (actor.role is Role.FINANCE or leads_side(actor, SALES_SIDE)):
        return None
    if kind == "opportunities":
        return "opportunities are imported by ADMIN, FINANCE or a leader of a sales or SDR team"
    return f"{kind} are imported by a leader (a person with the LEADER role) or an admin"


def crm_import_refusal(actor: Principal) -> Refusal:
    """A CRM export (a Salesforce object, a HubSpot export) is the whole organisation's records, of every team and
    owner: imported by an admin, or on the command line (the operator is one)."""
    if actor.is_admin:
        return None
    return "a CRM export holds the whole organisation's records: it is imported by an ADMIN or on the command line"


def touch_row_refusal(actor: Principal, team_id: int | None, person_team_id: int | None) -> Refusal:
    """A touchpoint row: a leader imports the touches of the team they lead and of its people."""
    if actor.is_admin:
        return None
    if leads_team(actor, team_id) and (person_team_id is None or person_team_id == actor.team_id):
        return None
    return "a leader imports only the touches of the team they lead and of its people"


def behaviour_row_refusal(actor: Principal, actor_team_id: int | None) -> Refusal:
    """A behaviour event (an open, a visit, a form) feeds marketing's scoring: imported by a leader of a marketing
    team, and the person it names (if any) is of that team."""
    if actor.is_admin:
        return None
    if leads_side(actor, MARKETING_SIDE) and (actor_team_id is None or actor_team_id == actor.team_id):
        return None
    return "behaviour events are imported by a leader of a marketing team, for the people of that team"


def opportunity_row_refusal(actor: Principal, owner_team_id: int | None) -> Refusal:
    """An opportunity row: ADMIN and FINANCE import any; a sales-side leader the deals owned by their team's people."""
    if actor.is_admin or actor.role is Role.FINANCE:
        return None
    if leads_side(actor, SALES_SIDE) and owner_team_id is not None and owner_team_id == actor.team_id:
        return None
    return "a sales leader imports only the deals owned by the people of the team they lead"


def enforce(refusal: Refusal, *field_path: str) -> None:
    """Raise the refusal as a FORBIDDEN problem on the field that names the record."""
    if refusal is not None:
        raise forbidden(refusal, *field_path)


# --- what a viewer may do now (`viewerCan`): the rules above, with the record's state --------------------------

@dataclass(frozen=True)
class ObjectiveAbilities:
    update: bool
    archive: bool
    override_score: bool
    add_key_result: bool
    check_in: bool


def objective_abilities(actor: Principal, owner_team_ids: Collection[int], archived: bool,
                        period_closed: bool) -> ObjectiveAbilities:
    """Live objectives of open periods change; a closed period's score is overridden (not a live one's)."""
    may_edit = not actor.read_only and objective_edit_refusal(actor, owner_team_ids) is None
    live = not archived and not period_closed
    return ObjectiveAbilities(
        update=may_edit and live, archive=may_edit and live, override_score=may_edit and period_closed,
        add_key_result=may_edit and live,
        check_in=live and not actor.read_only and check_in_refusal(actor, owner_team_ids) is None)


@dataclass(frozen=True)
class KeyResultAbilities:
    update: bool
    archive: bool
    check_in: bool


def key_result_abilities(actor: Principal, owner_team_ids: Collection[int], archived: bool,
                         objective_archived: bool, period_closed: bool) -> KeyResultAbilities:
    """A key result is frozen with its objective, its period, or its own archiving."""
    objective = objective_abilities(actor, owner_team_ids, objective_archived, period_closed)
    return KeyResultAbilities(update=objective.update and not archived, archive=objective.update and not archived,
                              check_in=objective.check_in and not archived)


@dataclass(frozen=True)
class LeadAbilities:
    assign: bool
    stages: tuple[str, ...]  # the stages the viewer may move the lead to now (the lifecycle allows them too)

    @property
    def recycle(self) -> bool:
        return "RECYCLED" in self.stages


def lead_abilities(actor: Principal, lead: LeadOwnership, next_stages: Collection[str]) -> LeadAbilities:
    """`next_stages`: the stages the lifecycle allows from the lead's stage now."""
    if actor.read_only:
        return LeadAbilities(assign=False, stages=())
    return LeadAbilities(assign=lead_assign_refusal(actor, lead) is None,
                         stages=tuple(s for s in next_stages if lead_stage_refusal(actor, lead, s) is None))
