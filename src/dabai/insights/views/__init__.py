"""The voice-of-the-customer portal: thin views; every one asks ``dabai.accounts.permissions`` first
(``is_voc_reader`` to read, ``is_voc_editor`` to curate topics and news)."""
