"""Outreach's state changes, one module per concern: health scores, reaching out, consent, campaigns,
incidents and care moments."""
