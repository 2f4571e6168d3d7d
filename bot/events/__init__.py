"""Events: invites posted on schedule to every channel, RSVPs with a waitlist, reminders and calendars.

model (the event's plan: channels and offsets), spec (what the owner gives, checked), planning (pure:
when each post goes), service (create, edit, cancel; queue posts), posting (deliver a due post),
reach (pure: whom an invite may reach on WhatsApp, Messenger and Instagram), invites (the
invite to each customer there), words (pure: RSVP phrases and buttons), rsvp (answers and the waitlist), step (the router's RSVP step),
notices (messages to the people who answered), render (templates), ics (calendar files),
export (attendee CSV), profile_sync (events from business.yaml), checks (`socialdesk check`).
"""
