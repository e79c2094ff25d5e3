"""The shared kernel: settings, database, jobs, audit trail, outbox and domain types."""
