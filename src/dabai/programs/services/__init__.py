"""State changes of programmes, one function each, by subdomain: ``seats`` (programmes, sessions, registering,
the waiting list, check-in), ``selection`` (who takes part), ``mail`` (letters, calendar invitations, SMS),
``reminders``, ``certificates``, ``observation`` (side-by-side pairs), ``notes`` (discussion and the
follow-ups it opens), ``meetup`` (Q&A, prize draw), ``visits`` (customer visits), ``feedback`` (surveys)."""
