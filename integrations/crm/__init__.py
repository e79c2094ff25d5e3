"""The CRM port and its adapters: `local` (tables in our database, the default) and `hubspot`."""
