"""Outside systems behind ports: the CRM and the CPQ pricing engine."""
