"""Full ID and phone numbers never reach a log line, an error e-mail or the DEBUG error page."""

import logging

import pytest
from django.core import mail

from registration.log_masking import SensitiveDataFilter, mask_sensitive
from registration.masking import mask_id_number
from tests.factories import MOTHER_ID

TEMP_ID = MOTHER_ID + "X"
PHONE = "13877112345"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"temp {TEMP_ID} ok", f"temp {mask_id_number(TEMP_ID)} ok"),
        (f"id={MOTHER_ID}&x=1", f"id={mask_id_number(MOTHER_ID)}&x=1"),
        (
            f"旧号码{MOTHER_ID[:6] + MOTHER_ID[8:17]}。",
            f"旧号码{mask_id_number(MOTHER_ID[:6] + MOTHER_ID[8:17])}。",
        ),
        (f"电话{PHONE}", "电话138****2345"),
        ("personal number 4500000012 stays", "personal number 4500000012 stays"),
        ("order H45010300001 stays", "order H45010300001 stays"),
    ],
)
def test_it_masks_id_and_phone_numbers_in_text(text, expected):
    assert mask_sensitive(text) == expected


def _record(message, *args, exc_info=None):
    return logging.LogRecord("registration", logging.ERROR, __file__, 1, message, args, exc_info)


def test_it_masks_a_log_records_message_and_arguments():
    record = _record("registered %s for %s", TEMP_ID, PHONE)

    SensitiveDataFilter().filter(record)

    assert logging.Formatter().format(record) == f"registered {mask_id_number(TEMP_ID)} for 138****2345"


def test_it_masks_a_traceback_in_a_log_record():
    try:
        raise ValueError(f"duplicate key (temp_id)=({TEMP_ID})")
    except ValueError:
        import sys

        record = _record("failed", exc_info=sys.exc_info())

    SensitiveDataFilter().filter(record)

    output = logging.Formatter().format(record)
    assert TEMP_ID not in output
    assert mask_id_number(TEMP_ID) in output


@pytest.fixture
def console():
    """What the configured console handlers write (the root's and Django's), read back."""
    import io

    stream = io.StringIO()
    handlers = {
        handler
        for name in ("", "django", "django.server")
        for handler in logging.getLogger(name).handlers
        if type(handler) is logging.StreamHandler  # not pytest's capture handlers
    }
    assert handlers
    previous = {handler: handler.setStream(stream) for handler in handlers}
    yield stream
    for handler, old in previous.items():
        handler.setStream(old)


def test_it_masks_the_running_apps_log_handlers(console):
    logging.getLogger("registration.test").error("lookup of %s failed", TEMP_ID)
    logging.getLogger("django.request").error("bad request for %s", TEMP_ID)
    logging.getLogger("django.server").info('"GET /newborns/?identity_number=%s HTTP/1.1" 200', TEMP_ID)

    err = console.getvalue()
    assert TEMP_ID not in err
    assert err.count(mask_id_number(TEMP_ID)) == 3


@pytest.fixture
def boom(settings, client):
    settings.ROOT_URLCONF = "tests.security.urls_boom"
    settings.ADMINS = [("", "ops@example.cn")]
    client.raise_request_exception = False
    return client


def test_it_masks_the_error_email_of_a_server_error(boom, settings, console):
    settings.DEBUG = False

    response = boom.post(
        "/boom/", {"id_number": MOTHER_ID, "mother_phone": PHONE, "note": f"证件 {MOTHER_ID}"}
    )

    assert response.status_code == 500
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    texts = [message.subject, message.body, *(content for content, _ in message.alternatives)]
    for text in texts:
        assert MOTHER_ID not in text
        assert PHONE not in text
    assert mask_id_number(TEMP_ID) in message.body
    assert "mother_phone" in message.body  # the field is listed, its value hidden
    err = console.getvalue()
    assert "Internal Server Error: /boom/" in err
    assert MOTHER_ID not in err


def test_it_masks_the_debug_error_page(boom, settings):
    settings.DEBUG = True

    response = boom.post("/boom/", {"id_number": MOTHER_ID, "phone": PHONE})

    html = response.content.decode()
    assert response.status_code == 500
    assert "ValueError" in html
    assert MOTHER_ID not in html
    assert PHONE not in html
