"""The synthetic organisation `sharedgoals generate` writes: `shape` (pure: people and each lead's journey as
import rows, seeded) and `service` (writes it through the use cases and the bulk import)."""
