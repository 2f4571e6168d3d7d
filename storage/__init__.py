"""Persistence: SQLAlchemy models, engine and session setup, small query functions, migrations."""
