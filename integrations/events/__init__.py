"""Domain events leaving the product: to a NATS JetStream stream and to signed webhooks, from the outbox."""
