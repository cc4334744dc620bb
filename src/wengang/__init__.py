"""wengang (稳岗通): job-stabilization refunds where the policy finds the enterprise.

Framework-free core: ``core``, ``feeds``, ``policy``, ``screening`` (never import Django).
Django apps own state and people: ``accounts`` and the apps that later issues add.
"""

__version__ = "0.1.0"
