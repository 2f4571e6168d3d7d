"""Events: invites posted on schedule to every channel, RSVPs with a waitlist, reminders and calendars.

model (the invite plan), planning (pure times), words (pure RSVP phrases), render (templates),
ics (calendar files), service (create, edit, cancel, post), rsvp (answers and the waitlist),
step (the router's RSVP step), profile_sync (events from business.yaml).
"""
