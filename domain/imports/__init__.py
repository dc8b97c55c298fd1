"""Bulk imports of leads, lead events and touchpoints (CSV or NDJSON), idempotent by external id."""
