"""A paginator that counts at most a bound of rows: an exact COUNT(*) over millions serves no one.

The records list and the audit log hold millions of rows at a province's size (issue 15). Up to `bound`
rows the pages are as Django's; past it the page says "more than N", numbers its first bound / per_page
pages, and still reaches the last page honestly: page=last reads the list in the reverse order, the
final per_page rows, through the same index the first page uses.

Counted pages past the middle are read the same way, from the end (OFFSET count - top in the reverse order):
an OFFSET near the count made PostgreSQL sort every row of a hospital's list instead of walking an index
(the last of 240 pages: 210 ms at 300,000 newborns). This needs a total order (the lists end on a unique
key), or two rows of equal keys could swap between the two reads.
"""

from math import ceil

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property

LAST = "last"
DEFAULT_BOUND = 10_000


class LastPage(Page):
    """The last rows of a list too long to count: not numbered, nothing after it."""

    is_last_of_many = True

    def has_next(self):
        return False

    def has_previous(self):
        return False

    def has_other_pages(self):
        return True


class BoundedPaginator(Paginator):
    def __init__(
        self, object_list, per_page, orphans=0, allow_empty_first_page=True, *, bound: int | None = None
    ):
        super().__init__(object_list, per_page, orphans, allow_empty_first_page)
        self.bound = DEFAULT_BOUND if bound is None else bound

    @cached_property
    def count(self) -> int:
        """The rows counted, at most bound + 1 (SELECT COUNT(*) FROM (… LIMIT bound + 1))."""
        if isinstance(self.object_list, QuerySet):
            # Neither the joins of select_related nor the order: the count reads the indexes only.
            rows = self.object_list.select_related(None).order_by().values("pk")
            return rows[: self.bound + 1].count()
        return min(len(self.object_list), self.bound + 1)

    @cached_property
    def exact(self) -> bool:
        return self.count <= self.bound

    @cached_property
    def num_pages(self) -> int:
        if self.exact:
            return super().num_pages
        return max(1, ceil(self.bound / self.per_page))

    def page(self, number):
        page = super().page(number)
        bottom, top = page.start_index() - 1, page.end_index()  # Django's bounds, orphans included
        if self.exact and isinstance(self.object_list, QuerySet) and bottom > self.count // 2:
            rows = list(self.object_list.reverse()[self.count - top : self.count - bottom])
            rows.reverse()
            page.object_list = rows
        return page

    def get_page(self, number):
        if number == LAST:
            if self.exact:
                return super().get_page(self.num_pages)
            rows = list(self.object_list.reverse()[: self.per_page])
            rows.reverse()
            return LastPage(rows, self.num_pages + 1, self)
        return super().get_page(number)
