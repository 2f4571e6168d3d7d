"""Slack: customers who write in the business's workspace (customers), and the owner's desk there: cards, buttons,
the App Home and the event forms (owner_*, blocks/), on one Bolt app (bolt_app) over one Web API client (api)."""
