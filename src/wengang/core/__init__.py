"""Framework-free building blocks: money, identifiers, working days, regions, sizing, the clock.

Nothing here imports Django: the CLI, workers, tests and notebooks use it directly.
"""
