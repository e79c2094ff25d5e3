"""Approval policy and lifecycle: who must decide what, exactly once. Slack-agnostic."""
