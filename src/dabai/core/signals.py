"""What the floor announces to the apps (each listens in its ``receivers.py``; core imports none of them)."""

from django.dispatch import Signal

# ``dabai worker`` is starting (not ``--batch``): each app starts the periodic task chains it owns.
worker_started = Signal()
