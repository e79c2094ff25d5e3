"""Bolt listeners: parse the payload, check who is asking, record the work, ack. No business rules."""
