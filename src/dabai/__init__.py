"""大白 (dabai): the filter between customers and the company."""

__version__ = "0.1.0"
