"""The demo service centre: the one package that may import every app, and that no app imports.

``dabai demo`` (``management/commands/demo.py``) loads it; the generator is ``dabai.demo.builder``.
"""
