"""Replies from the owner's Jinja templates: the sandboxed renderer (drafter), what a template may read (context, facts),
and the customer names a reply may repeat (names)."""
