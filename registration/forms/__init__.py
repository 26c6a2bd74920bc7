"""Parsing and normalising input, one module per page: typed values or Chinese messages, never a write.

`fields` holds the fields every form shares; `register` the registration page's forms. Whether a family
may be pre-enrolled is decided in registration.services, not here.
"""
