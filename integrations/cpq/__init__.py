"""CPQ: the governed catalog and a deterministic quote engine. Money is Decimal; models never price."""
