"""Keeping full ID and phone numbers out of logs and error reports (issue 6: PIPL).

Three layers, all configured in settings.py: a logging filter on every handler masks numbers in every log
line and traceback; the exception reporter filter hides the sensitive form fields and masks every local
variable of a traceback; the exception reporter masks the whole report (error e-mails and DEBUG pages)
as a last pass, catching numbers quoted in exception messages such as a database's duplicate-key error.
"""

import logging
import re

from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

from registration.masking import mask_id_number, mask_phone

# An 18-character resident ID, possibly followed by a baby's letter (a temporary ID), or a 15-digit
# first-generation ID; not part of a longer run of letters and digits.
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[\dXx][A-Za-z]?|\d{15})(?![0-9A-Za-z])")
# A mainland mobile number (11 digits starting 13–19).
_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")

# Form fields whose value never belongs in an error report, by substring of the field name.
SENSITIVE_FIELD_PARTS = ("password", "id_number", "identity", "temp_id", "phone", "certificate", "token")


def mask_sensitive(text: str) -> str:
    """The text with every ID-like and mobile-like number masked (450103*****1234X, 138****5678)."""
    if not text:
        return text
    text = _ID_NUMBER.sub(lambda match: mask_id_number(match.group()), text)
    return _MOBILE.sub(lambda match: mask_phone(match.group()), text)


class SensitiveDataFilter(logging.Filter):
    """Masks ID and phone numbers in a record's message and traceback before any handler writes it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed format string: log it as written rather than lose the record
            message = str(record.msg)
        record.msg, record.args = mask_sensitive(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_sensitive(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_sensitive(record.stack_info)
        return True


class _Masked:
    """A traceback variable shown by its masked representation."""

    def __init__(self, value):
        try:
            self.text = mask_sensitive(repr(value))
        except Exception:  # a broken __repr__ must not break the error report
            self.text = "<unrepresentable>"

    def __repr__(self) -> str:
        return self.text


class SensitiveExceptionReporterFilter(SafeExceptionReporterFilter):
    """Django's filter (passwords, keys) plus the families' numbers in POST data and frame variables."""

    def is_sensitive_field(self, name: str) -> bool:
        lowered = name.lower()
        return any(part in lowered for part in SENSITIVE_FIELD_PARTS)

    def get_post_parameters(self, request):
        parameters = super().get_post_parameters(request)
        if request is None or not parameters:
            return parameters
        cleansed = parameters.copy()
        for name in cleansed:
            if self.is_sensitive_field(name):
                cleansed[name] = self.cleansed_substitute
            else:
                cleansed.setlist(name, [mask_sensitive(str(value)) for value in cleansed.getlist(name)])
        return cleansed

    def get_traceback_frame_variables(self, request, tb_frame):
        variables = super().get_traceback_frame_variables(request, tb_frame)
        return [(name, _Masked(value)) for name, value in variables]


class MaskingExceptionReporter(ExceptionReporter):
    """The error report (e-mail text and HTML, the DEBUG page) with every ID-like number masked."""

    def get_traceback_text(self):
        return mask_sensitive(str(super().get_traceback_text()))

    def get_traceback_html(self):
        return mask_sensitive(str(super().get_traceback_html()))
