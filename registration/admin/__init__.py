"""The Django admin of the domain, one module per area; importing them registers the models."""

from registration.admin import accounts, api, log, people, places, records  # noqa: F401
