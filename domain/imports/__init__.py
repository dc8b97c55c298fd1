"""Bulk imports of leads, lead events, touchpoints and opportunities (CSV or NDJSON), idempotent by external id."""
