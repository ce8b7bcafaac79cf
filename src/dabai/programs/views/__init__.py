"""Views of programmes: ``participant`` (staff taking part), ``organise`` (supervisors), ``public``."""
