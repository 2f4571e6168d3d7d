"""The `socialdesk` command: set-up and running (main), contacts, events, evaluation and `check`, each its own
module, sharing one way to read settings, open the profile and report errors (common)."""

import gc

# Loading the command creates some 150,000 objects that live as long as the process (modules, classes,
# SQLAlchemy's and pydantic's tables). The cyclic collector would walk them about 300 times while they load
# and again at exit, a quarter of a second of every cold start: load them with it paused, then freeze them
# (gc.freeze keeps them out of every later collection; they are never garbage).
_collecting = gc.isenabled()
gc.disable()
try:
    from bot.cli.commands import app, main
finally:
    gc.freeze()
    if _collecting:
        gc.enable()

__all__ = ["app", "main"]
