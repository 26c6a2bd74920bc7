"""The registrations list, a registration's own page, and its materials (issue 3, item 3)."""

from dataclasses import dataclass
from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from cards.services import card_state_refusal
from registration import access, selectors
from registration.forms.newborns import MaterialAddForm, NewbornFilterForm
from registration.http import client_ip
from registration.masking import mask_id_number, mask_phone
from registration.models import AuditEntry, Material, Newborn
from registration.pagination import BoundedPaginator
from registration.rules import days_left, materials_missing
from registration.searches import search_data, search_redirect
from registration.selectors.quality import duplicate_kept_code
from registration.services.audit import audit_record
from registration.services.birth_materials import MaterialInput, birth_material_add
from registration.services.kept_uploads import display_name

PAGE_SIZE = 25
MATERIAL_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}


@dataclass(frozen=True)
class NewbornRow:
    """A list row: the newborn and its numbers as the list may show them (masked)."""

    newborn: Newborn
    identity: str
    phone: str
    days_left: int | None


# The search's fields that name a person: never in the list's URL (registration/searches.py).
PRIVATE_SEARCH_FIELDS = {"identity_number", "name", "personal_number"}


@require_http_methods(["GET", "HEAD", "POST"])
@access.module_access_required
def newborn_list(request):
    """GET /newborns/: the user's hospital's registrations, searched, 25 a page, numbers masked.

    POST: the search form; a valid search is answered with a redirect whose URL holds no ID number.
    """
    if request.method == "POST":
        form = NewbornFilterForm(request.POST)
        if form.is_valid():
            return search_redirect(request, reverse("newborn_list"), PRIVATE_SEARCH_FIELDS)
        return _list(request, form, expired=False, status=400)
    data, expired = search_data(request)
    return _list(request, NewbornFilterForm(data or None), expired=expired)


def _list(request, form: NewbornFilterForm, *, expired: bool, status: int = 200):
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    if expired or (form.is_bound and form.errors):
        newborns = []  # the form says what to correct, or the search is to be typed again
    else:
        newborns = selectors.newborn_search_for_user(user=request.user, **filters)
    page = BoundedPaginator(newborns, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    rows = [_row(newborn, today) for newborn in selectors.materials_incomplete_mark(page)]
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "show_hospital": access.user_is_administrator(request.user),  # they see every hospital's
        "search_expired": expired,
    }
    return render(request, "registration/newborn_list.html", context, status=status)


def _row(newborn: Newborn, today: date) -> NewbornRow:
    pending = newborn.state == Newborn.State.REGISTERED
    return NewbornRow(
        newborn=newborn,
        identity=mask_id_number(newborn.identity_number),
        phone=mask_phone(newborn.phone),
        days_left=(newborn.last_day - today).days if pending else None,
    )


@require_safe
@access.module_access_required
def newborn_detail(request, pk):
    """GET /newborns/<pk>/: the record's own page, full numbers included, so every view is audited."""
    return _detail(request, selectors.newborn_detail_get_for_user(user=request.user, pk=pk))


def _detail(request, newborn: Newborn, *, material_form: MaterialAddForm | None = None, status: int = 200):
    audit_record(
        user=request.user,
        action=AuditEntry.Action.VIEW_ID,
        obj=newborn,
        hospital=newborn.birth.hospital,
        ip=client_ip(request),
    )
    today = timezone.localdate()
    materials = newborn.birth.materials.all()
    if material_form is None and newborn.state != Newborn.State.VOID:
        material_form = MaterialAddForm()
    context = {
        "newborn": newborn,
        "birth": newborn.birth,
        "siblings": [baby for baby in newborn.birth.newborns.all() if baby.pk != newborn.pk],
        "materials": materials,
        "materials_missing": materials_missing(
            newborn.birth.route, [material.kind for material in materials]
        ),
        "material_form": material_form,
        "card_refusal": card_state_refusal(newborn, today=today),
        "payments": newborn.payments.all(),
        "cover_note": selectors.newborn_cover_note(
            newborn, payments=[(p.paid_on, p.years) for p in newborn.payments.all()], today=today
        ),
        "history": selectors.newborn_history(newborn=newborn),
        # Voided as a duplicate: the kept record by its masked code alone, whichever hospital keeps it.
        "duplicate_of_masked": duplicate_kept_code(newborn),
        "days_left": days_left(newborn.birth_date, today),
        "today": today,
    }
    return render(request, "registration/newborn_detail.html", context, status=status)


@require_POST
@access.module_access_required
def newborn_material_add(request, pk):
    """POST /newborns/<pk>/materials/add: a scan added to the record's registration (all its babies')."""
    newborn = selectors.newborn_detail_get_for_user(user=request.user, pk=pk)  # 404 outside the hospital
    form = MaterialAddForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            content = upload.read()
            birth_material_add(
                user=request.user,
                newborn=newborn,
                material=MaterialInput(form.cleaned_data["kind"], content, display_name(upload.name, "文件")),
                ip=client_ip(request),
            )
        except ValidationError as exc:
            form.add_error("file", exc.messages[0])
        except OSError:
            form.add_error("file", "文件读取失败，请重新选择。")
        else:
            messages.success(request, f"已补传：{Material.Kind(form.cleaned_data['kind']).label}。")
            return redirect(f"{reverse('newborn_detail', args=[newborn.pk])}#h-materials")
    # The page again with the form's errors (its full numbers: audited like any view of the page); nothing
    # was added, so the record read above is still what the page shows.
    return _detail(request, newborn, material_form=form, status=400)


@require_safe
@access.module_access_required
def material_view(request, pk, material_pk):
    """GET /newborns/<pk>/materials/<material_pk>: a scan, streamed only to those who may see the record."""
    newborn, material = selectors.material_get_for_user(
        user=request.user, newborn_pk=pk, material_pk=material_pk
    )
    try:
        handle = material.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404("材料文件不存在，请联系管理员。") from None
    audit_record(
        user=request.user,
        action=AuditEntry.Action.VIEW_MATERIAL,
        obj=material,
        newborn=newborn,
        hospital=newborn.birth.hospital,
        ip=client_ip(request),
    )
    extension = MATERIAL_EXTENSIONS.get(material.content_type, "bin")
    response = FileResponse(handle, content_type=material.content_type)
    # Our own name, never the uploaded one: it could carry a person's name or quote characters.
    response["Content-Disposition"] = f'inline; filename="material-{material.pk}.{extension}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
