"""Calendars: free/busy, meetings booked once, their invites and reminders."""
