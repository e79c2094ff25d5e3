"""E-signature: the port, its adapters (a local signing page, DocuSign), envelopes, and their HTTP routes."""
