"""The Slack Web API emulator: the project's own sandbox workspace, for tests and `lto demo`."""

from bot.emulator.actor import SlackActor
from bot.emulator.server import create_emulator_app, run_emulator, serve_emulator
from bot.emulator.transcript import render_transcript
from bot.emulator.workspace import Workspace

__all__ = ["SlackActor", "Workspace", "create_emulator_app", "render_transcript", "run_emulator", "serve_emulator"]
