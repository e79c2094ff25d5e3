"""Block Kit views: pure functions from domain objects to slack_sdk block models."""
