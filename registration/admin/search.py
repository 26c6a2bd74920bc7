"""The admin's changelist search by POST: an ID number typed in its search box never reaches a URL.

As on the site's lists (registration/searches.py): the search form posts, the answer redirects to the
changelist with its filters in the query string and the search term behind a session-bound token, and the
changelist's own links (pages, filters, sorting) carry the token, not the term (docs/privacy.md, Logs and
URLs). A changelist whose admin lacks this mixin keeps Django's GET form (templates/admin/search_form.html).
"""

from django.contrib import messages
from django.contrib.admin.views.main import IS_FACETS_VAR, SEARCH_VAR, ChangeList
from django.shortcuts import redirect

from registration.searches import TOKEN_PARAMETER, search_data, search_redirect

POST_MARKER = "_search_post"


class TokenSearchChangeList(ChangeList):
    def __init__(self, request, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        if TOKEN_PARAMETER in self.filter_params:
            # The links the page builds keep the token and drop the term.
            self.filter_params.pop(SEARCH_VAR, None)
            self.params.pop(SEARCH_VAR, None)
            self.remove_facet_link = self.get_query_string(remove=[IS_FACETS_VAR])
            self.add_facet_link = self.get_query_string({IS_FACETS_VAR: True})

    def get_filters_params(self, params=None):
        lookup_params = super().get_filters_params(params)
        lookup_params.pop(TOKEN_PARAMETER, None)
        return lookup_params


class TokenSearchAdmin:
    """Mixin for a ModelAdmin: its changelist's search box posts (search_form.html reads the flag)."""

    search_by_post = True

    def get_changelist(self, request, **kwargs):
        return TokenSearchChangeList

    def changelist_view(self, request, extra_context=None):
        if request.method == "POST" and POST_MARKER in request.POST:
            return search_redirect(request, request.path, {SEARCH_VAR})
        if request.method == "GET" and TOKEN_PARAMETER in request.GET:
            data, expired = search_data(request)
            if expired:
                messages.warning(
                    request, "该查询已过期（查询条件只保留30分钟，退出登录后失效），请重新输入。"
                )
                return redirect(request.path)
            for name in ("p", TOKEN_PARAMETER):  # the page and the token itself stay in the URL's params
                if name in request.GET:
                    data.setlist(name, request.GET.getlist(name))
            request.GET = data
        return super().changelist_view(request, extra_context)
