"""The roof over the apps: what knows all of them (each person's home page, the menu).

It may import every app and no app imports it; ``dabai.core`` below is the floor that imports none of them.
"""
