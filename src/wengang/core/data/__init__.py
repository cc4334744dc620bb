"""Data files of the core (read with ``importlib.resources``); see README.md for their sources."""
