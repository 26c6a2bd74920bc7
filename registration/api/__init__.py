"""The REST API for hospital information systems and the 医保中心 (issue 16), mounted at /api/v1/.

Its clients authenticate with a Bearer key (auth), each call is throttled per client (throttles) and
audited (views); the writes go through the same services as the pages (births: the registration check).
"""
