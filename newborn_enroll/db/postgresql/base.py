"""Django's PostgreSQL backend with the insert compiler of .compiler (settings.py selects it).

Everything else (vendor "postgresql", django.contrib.postgres, the psycopg options) is Django's own.
"""

from django.db.backends.postgresql import base


class DatabaseOperations(base.DatabaseOperations):
    compiler_module = "newborn_enroll.db.postgresql.compiler"


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
