"""The REST API (接口): everything the console does, and a machine channel for departments.

``api.api`` is the django-ninja application; ``tokens`` makes and checks scoped API tokens;
``feed_inbox`` takes feed files pushed by departments. docs/api.md is the integrator's guide.
"""
