"""The Slack surface: the Bolt app, its listeners, Block Kit views, the CLI and the Web API emulator."""
