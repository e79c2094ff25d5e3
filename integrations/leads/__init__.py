"""Lead intake: signed webhooks (HubSpot, and our own for web forms and other CRMs) that become routed deals."""
