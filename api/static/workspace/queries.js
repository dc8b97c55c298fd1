// The GraphQL documents the workspace sends (the `f` of a builder: which newer fields the server has).
export const BOOT = `query WorkspaceBoot { viewer { name role person { id team { id name function } } }
  periods { key start end status isCurrent } teams { id name function } }`;
export const PERIOD = `query WorkspacePeriod($period: String!) {
  period(key: $period) { key start end status isCurrent viewerCan { close signOff reopen }
    closeSignOffs { side at person { name } } }
  companyContribution(period: $period) { bookings pipeline mqlsDelivered } }`;
export const KR_FIELDS = `id title kind unit start target current progress rawProgress status weight version source archived
  metric { name } viewerCan { update archive checkIn } last: checkIns(first: 1) { confidence at }`;
export const objectiveFields = (f) => `id title description version progress expectedProgress status score
  scoreOverrideReason viewerCan { update addKeyResult checkIn } owners { share team { id name function } }
  keyResults { ${KR_FIELDS} }` + (f.objectiveSeries ? " series(every: WEEK) { on progress expectedProgress }" : "");
export const objectivesQuery = (f) => `query WorkspaceObjectives($period: String!) {
  objectives(period: $period, first: 50) { edges { node { ${objectiveFields(f)} } } pageInfo { hasNextPage } } }`;
export const objectiveQuery = (f) => `query WorkspaceObjective($id: ID!) { node(id: $id) { ... on Objective {
  ${objectiveFields(f)} keyResults { id recent: checkIns(first: 20) { value confidence comment at author { name } }
  ${f.keyResultSeries ? "series(every: WEEK) { on value progress expectedProgress status }" : ""} } } } }`;

export const FIGURES = [
  ["goalProgress", "Goal progress", "ratio"], ["mqlsDelivered", "MQLs delivered", "count"], ["sals", "SALs", "count"],
  ["sqls", "SQLs", "count"], ["sourcedPipeline", "Sourced pipeline", "decimal"],
  ["influencedPipeline", "Influenced pipeline", "decimal"], ["attributedBookings", "Attributed bookings", "decimal"],
  ["slaCompliance", "SLA compliance", "ratio"], ["payoutsAccrued", "Payouts accrued", "decimal", "pay"],
  ["wastedSellingCost", "Wasted selling cost", "decimal", "pay"],
];
export const FIGURE_NAMES = FIGURES.map((f) => f[0]).join(" ");
export const CONTRIBUTION = `query WorkspaceContribution($period: String!) { teamContribution(period: $period) {
  team { id name function } ${FIGURE_NAMES} previousPeriod { period { key } ${FIGURE_NAMES} } } }`;
export const MODELS = ["FIRST_TOUCH", "LAST_TOUCH", "LINEAR", "W_SHAPED"];
export const ATTRIBUTION = `query WorkspaceAttribution($period: String!) {
  attributionComparison(period: $period, models: [${MODELS.join(", ")}], groupBy: TEAM) {
    model lines { key label pipeline bookings } } }`;
export const COMPLIANCE = "met counted compliance";
export const slaQuery = (f) => `query WorkspaceSla($period: String!) { slaReport(period: $period) {
  agreement { marketingTeam { name } salesTeam { name } } marketing { ${COMPLIANCE} } sales { ${COMPLIANCE} }
  ${f.slaWeeks ? `weeks { start end marketing { ${COMPLIANCE} } sales { ${COMPLIANCE} } }` : ""} } }`;
export const TEAM_SERIES = `query WorkspaceTeamSeries($period: String!) { teamContribution(period: $period) {
  team { id name } goalProgressSeries(every: WEEK) { on progress expectedProgress } } }`;
export const FUNNEL = `query WorkspaceFunnel($period: String!) { funnelCohort(period: $period) {
  team { id name } mqls sals sqls won wonAmount } }`;

export const CHECK_IN = `mutation WorkspaceCheckIn($input: KeyResultCheckInInput!) { keyResultCheckIn(input: $input) {
  checkIn { value confidence comment at } userErrors { field message code } } }`;
export const KR_UPDATE = `mutation WorkspaceTarget($input: KeyResultUpdateInput!) { keyResultUpdate(input: $input) {
  keyResult { id target version } userErrors { field message code } } }`;
export const OBJECTIVE_CREATE = `mutation WorkspaceObjectiveCreate($input: ObjectiveCreateInput!) {
  objectiveCreate(input: $input) { objective { id title } userErrors { field message code } } }`;
export const KR_CREATE = `mutation WorkspaceKeyResultCreate($input: KeyResultCreateInput!) {
  keyResultCreate(input: $input) { keyResult { id title } userErrors { field message code } } }`;
export const ROLL_OVER = `mutation WorkspaceRollOver($input: ObjectiveRollOverInput!) { objectiveRollOver(input: $input) {
  objectives { id title period { key } } userErrors { field message code } } }`;
export const PREVIEW = `query WorkspaceClosePreview($period: String!) { periodClosePreview(period: $period) {
  modelOfRecord keyResultsFrozen openDisputeCount needsForce
  objectives { objective { id title } progress score } statements { person { name } lineCount totalPayout }
  staleKeyResults { id title objective { title } } pendingLeadDefinitions { id name }
  pendingModelsOfRecord { id model } } }`;
export const CLOSE = `mutation WorkspaceClose($input: PeriodCloseInput!) { periodClose(input: $input) {
  period { key status } userErrors { field message code } } }`;
export const SIGN_OFF = `mutation WorkspaceSignOff($input: PeriodCloseSignOffInput!) { periodCloseSignOff(input: $input) {
  period { key status closeSignOffs { side } } userErrors { field message code } } }`;

