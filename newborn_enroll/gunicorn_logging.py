"""gunicorn's logger with the app's masking (deploy/gunicorn.conf.py; docs/privacy.md, Logs and URLs).

gunicorn writes its access and error logs itself, outside Django's logging: without this a request line
carries its query string and the API's paths their temporary IDs (/api/v1/newborns/<temp_id>/materials).
The access log's format (ACCESS_LOG_FORMAT) leaves the query string out, and every line of both logs passes
the app's own masking filter (registration/log_masking.py), as the app's log does: 450103*****1234X.
"""

from gunicorn.glogging import Logger

from registration.log_masking import SensitiveDataFilter

# Apache's combined format without the query string (%(U)s is the path alone) and without the Referer,
# which is another page's URL; the request's time in microseconds at the end.
ACCESS_LOG_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s" %(D)s'


class MaskingLogger(Logger):
    def setup(self, cfg):
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            log.addFilter(SensitiveDataFilter())
            for handler in log.handlers:
                handler.addFilter(SensitiveDataFilter())
