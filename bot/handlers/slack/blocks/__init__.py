"""Block Kit built from plain data: no Slack calls and no storage here, so every view can be tested as JSON."""
