"""pydantic-ai agents (discovery, proposal, knowledge Q&A), their tools and the offline model."""
