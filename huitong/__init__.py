"""Huitong (汇通): one truth about the city's people, enterprises and rental units."""

__version__ = "0.1.0"
