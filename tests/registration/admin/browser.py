"""The Django admin used as a browser uses it: open a page, keep every value its form holds (the inlines'
management forms and the CSRF token included), change what a person would change, submit it.

The client enforces CSRF like a browser session: the token comes from the page and the cookie, never from
the test.
"""

from collections.abc import Mapping

import lxml.html
from django.test import Client

REMOVE = object()  # an unticked checkbox: the browser sends nothing for it


class AdminBrowser:
    def __init__(self, user):
        self.client = Client(enforce_csrf_checks=True)
        self.client.force_login(user)

    def open(self, url: str):
        response = self.client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response

    def form_values(self, url: str) -> list[tuple[str, str]]:
        """What the page's form would send as it stands (lxml's form_values: as a browser submits it)."""
        return self.form_values_of(url, button="_save")

    def form_values_of(self, url: str, *, button: str) -> list[tuple[str, str]]:
        """The values of the page's form with the submit button named `button`."""
        document = lxml.html.fromstring(self.open(url).content.decode())
        # The page's own form: the one with that button (the header's logout form has a token too).
        forms = [form for form in document.forms if form.xpath(f".//*[@name='{button}']")]
        assert forms, f"no form to save on {url}"
        assert "csrfmiddlewaretoken" in forms[0].inputs, f"no CSRF token in the form of {url}"
        return list(forms[0].form_values())

    def submit(self, url: str, changes: Mapping[str, object] | None = None, *, button: str = "_save"):
        """Open `url`, apply `changes` (a value, a list of values, or REMOVE) and submit with `button`."""
        changes = dict(changes or {})
        values: dict[str, list[str]] = {}
        for name, value in self.form_values(url):
            if name not in changes:
                values.setdefault(name, []).append(value)
        for name, value in changes.items():
            if value is REMOVE:
                continue
            values[name] = [str(item) for item in value] if isinstance(value, list | tuple) else [str(value)]
        if button:
            values[button] = ["保存"]
        return self.client.post(url, values)


def form_errors(response) -> dict:
    """The admin form's errors on a page that came back (a refused save answers 200 with them)."""
    context = response.context
    assert context is not None and "adminform" in context, f"not a form page: {response.status_code}"
    return {name: list(errors) for name, errors in context["adminform"].form.errors.items()}
