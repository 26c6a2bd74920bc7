"""The new-registration page (附件2's screen): one birth, 1 to N babies, its live preview and its result."""

import json
import uuid

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from cards.channels import payment_channels
from cards.content import birth_order_text, code_letter_note
from registration import access, selectors, throttles
from registration.forms.register import (
    MATERIAL_KINDS,
    RegisterForm,
    baby_formset,
    check_errors_apply,
    check_path_reported,
    error_summary,
)
from registration.forms.register_preview import PreviewForm
from registration.http import client_ip
from registration.masking import mask_id_number
from registration.models import AuditEntry, Material
from registration.reference import region_codes_of
from registration.rules import (
    birth_date_problem,
    identity_agrees,
    materials_missing,
    suffixes_for_birth,
)
from registration.services import SuffixesExhausted, newborn_name
from registration.services.audit import audit_record
from registration.services.birth_materials import MaterialInput
from registration.services.birth_place import HOME_BIRTH
from registration.services.kept_uploads import (
    kept_scan_get,
    kept_scan_store,
    kept_upload_discard,
    kept_upload_read,
)
from registration.services.lookups import KIND_PREVIEW, lookup_budgets_take, lookup_record
from registration.services.newborns import RegistrationWarning, newborn_register
from registration.services.registration_check import registration_problems
from registration.services.storage import StorageUnavailable

TEMPLATE = "registration/register.html"
STORAGE_DOWN_FIELD = "扫描件暂时无法保存（文件存储服务暂时不可用），请稍后重新上传。"


def _denied(request, reason: str):
    return access.denied(request, reason, template=TEMPLATE)


@never_cache
@require_http_methods(["GET", "POST"])
@access.registering_clerk_required
def register(request):
    """GET: an empty form. POST: register the birth and go to its result, or show every problem."""
    if request.method == "POST":
        return _register_post(request)
    form = RegisterForm(initial={"birth_hospital_name": request.user.operator.hospital.name})
    return _render(request, form, baby_formset(), staged={}, request_key=uuid.uuid4())


def _register_post(request):
    form = RegisterForm(request.POST, request.FILES)
    formset = baby_formset(request.POST, route=request.POST.get("route", ""))
    valid = form.is_valid()
    valid = formset.is_valid() and valid
    request_key = form.cleaned_data.get("request_key") or uuid.uuid4()
    # A file storage that is down refuses the scans, never the rest: every field comes back, with the way
    # out (材料暂缺: save now, add the scans on the record's page).
    storage_down = []
    staged = _staged_files(request, form, storage_down)
    community = _community_resolve(form)  # looked up in the same round as every other check
    materials = _materials_read(form, staged, storage_down)
    kinds = [kind for kind, _ in materials]
    # Every submit runs the registration check, which consults other hospitals' records: the lookup
    # budgets (docs/privacy.md, Budgets); refused, the page comes back as typed, its scans kept.
    decision = lookup_budgets_take(user=request.user, ip=client_ip(request))
    if not decision.allowed:
        form.add_error(None, throttles.refused_message(decision.wait))
        response = _render(request, form, formset, staged=staged, request_key=request_key)
        response.status_code = 429
        response["Retry-After"] = throttles.retry_after(decision.wait)
        return response
    registration = form.registration_request(
        formset.baby_inputs(), community=community, materials=[material for _, material in materials]
    )
    if form.errors or not valid:
        # The page's own parsing errors, and with them every rule of what did parse (issue 3: all at once):
        # the same check newborn_register runs, so that the clerk learns in one round trip that, say, the
        # baby is too old while a phone number was mistyped.
        problems = registration_problems(
            hospital=request.user.operator.hospital,
            registration=registration,
            today=form.today,
            reported=lambda path: check_path_reported(path, form, formset, kinds),
        )
        check_errors_apply(problems, form, formset, kinds)
        return _render(
            request, form, formset, staged=staged, request_key=request_key, storage_down=bool(storage_down)
        )

    try:
        birth = newborn_register(
            clerk=request.user, registration=registration, request_key=request_key, ip=client_ip(request)
        )
    except PermissionDenied as exc:
        return _denied(request, str(exc) or "您没有办理新生儿预参保登记的权限。")
    except RegistrationWarning as exc:
        return _render(request, form, formset, staged=staged, request_key=request_key, warnings=exc.warnings)
    except ValidationError as exc:
        check_errors_apply(exc, form, formset, kinds)
        return _render(request, form, formset, staged=staged, request_key=request_key)
    except StorageUnavailable:
        return _render(request, form, formset, staged=staged, request_key=request_key, storage_down=True)
    for staged_file in staged.values():
        kept_upload_discard(staged_file)
    return redirect("register_done", pk=birth.pk)


def _community_resolve(form: RegisterForm):
    """The chosen or typed community, or None with the reason next to the community box."""
    data = getattr(form, "cleaned_data", {})
    text = data.get("community_text")
    if text is None or form.errors.get("community_text") or not (text or data.get("community")):
        return None  # unparsed, or empty (the form already asks for it)
    community = selectors.community_resolve(pk=data.get("community"), text=text)
    if community is None:
        form.add_error(
            "community_text",
            "有多个同名的村（社区），请从输入框下方的列表中选择，或点击“逐级选择”查找。"
            if selectors.community_name_ambiguous(text)
            else "没有找到该参保社区，请核对社区ID、社区编码或名称，或点击“逐级选择”查找。",
        )
    return community


def _staged_files(request, form: RegisterForm, storage_down: list) -> dict:
    """This submit's uploads, staged so that a re-rendered page keeps them, by material kind; a kind whose
    file the storage could not take goes to `storage_down`."""
    staged = {}
    for kind, token in form.staged_tokens().items():
        staged_file = kept_scan_get(user=request.user, token=token)
        if staged_file is not None and staged_file.material_kind == kind:  # another user's token is ignored
            staged[kind] = staged_file
    for kind, upload in form.uploads().items():
        if storage_down:  # one timeout is enough: the other scans are not sent to a store that is down
            storage_down.append(kind)
            form.add_error(f"material_{kind}", f"{upload.name}：{STORAGE_DOWN_FIELD}")
            continue
        try:
            content = upload.read()
            new = kept_scan_store(
                user=request.user, material_kind=kind, original_name=upload.name, content=content
            )
        except ValidationError as exc:
            form.add_error(f"material_{kind}", f"{upload.name}：{exc.messages[0]}")
            continue
        except OSError:
            form.add_error(f"material_{kind}", f"{upload.name}：文件读取失败，请重新选择。")
            continue
        except StorageUnavailable:
            storage_down.append(kind)
            form.add_error(f"material_{kind}", f"{upload.name}：{STORAGE_DOWN_FIELD}")
            continue
        if kind in staged:  # a file chosen again replaces the one kept from the earlier submit
            kept_upload_discard(staged[kind])
        staged[kind] = new
    return staged


def _materials_read(form: RegisterForm, staged: dict, storage_down: list) -> list[tuple[str, MaterialInput]]:
    materials = []
    for kind in MATERIAL_KINDS:
        if kind not in staged:
            continue
        if storage_down:
            form.add_error(f"material_{kind}", STORAGE_DOWN_FIELD)
            continue
        try:
            content = kept_upload_read(staged[kind])
        except StorageUnavailable:  # the kept scan stays kept (its token in the page) for a later submit
            storage_down.append(kind)
            form.add_error(f"material_{kind}", STORAGE_DOWN_FIELD)
            continue
        if content is None:
            del staged[kind]
            form.add_error(f"material_{kind}", "之前上传的文件已失效，请重新选择。")
            continue
        materials.append((kind, MaterialInput(kind, content, staged[kind].original_name)))
    return materials


def _render(request, form, formset, *, staged, request_key, warnings=(), storage_down=False):
    materials = [
        {"kind": kind, "label": label, "field": form[f"material_{kind}"], "staged": staged.get(kind)}
        for kind, label in Material.Kind.choices
    ]
    context = {
        "form": form,
        "formset": formset,
        "materials": materials,
        "request_key": request_key,
        "community_suggestions": _community_suggestions(request.user),
        "birth_hospitals": [
            *selectors.birth_hospital_names(hospital=request.user.operator.hospital),
            HOME_BIRTH,
        ],
        "warnings": warnings,
        "warning_codes": " ".join(warning["code"] for warning in warnings),
        "errors": error_summary(form, formset) if form.is_bound else [],
        "community_picker": finders.find("js/community-picker.js") is not None,
        "route": form["route"].value() or "parent_id",
        "parent_role": form["parent_role"].value() or "mother",
        "max_mb": settings.MATERIAL_MAX_BYTES // (1024 * 1024),
        "storage_down": storage_down,
    }
    return render(request, TEMPLATE, context, status=503 if storage_down else 200)


def _community_suggestions(user) -> list[dict]:
    """The communities this hospital registered lately, one click each; the page puts those of the ID
    parent's region first (`regions`: every region code of an ID issued in its county, former ones too)."""
    divisions = selectors.communities_recent_for_user(user=user, today=timezone.localdate())
    return [
        {**row, "regions": list(region_codes_of(row["code"])), "json": json.dumps(row, ensure_ascii=False)}
        for row in selectors.division_rows(divisions)
    ]


@never_cache
@login_required
@require_POST
def register_preview(request):
    """The letters and names that would be issued now for a parent's ID; the save decides under the lock.

    POST (with the page's CSRF token), not GET: the parent's ID number and name stay out of every URL,
    and so out of proxy logs and the browser's history (issue 14).
    """
    if (reason := access.registering_denied_reason(request.user)) is not None:
        return JsonResponse({"error": reason}, status=403)
    form = PreviewForm(request.POST)
    if not form.is_valid():
        messages = [message for messages in form.errors.values() for message in messages]
        return JsonResponse({"error": messages[0]}, status=400)
    parent_id, sexes = form.cleaned_data["parent_id"], form.cleaned_data["sexes"]
    births = form.cleaned_data["births"]
    name = form.cleaned_data["parent_name"]
    today = timezone.localdate()
    letters = iter(())
    if parent_id:
        decision = lookup_budgets_take(user=request.user, ip=client_ip(request))
        if not decision.allowed:
            response = JsonResponse({"error": throttles.refused_message(decision.wait)}, status=429)
            response["Retry-After"] = throttles.retry_after(decision.wait)
            return response
        hospital = request.user.operator.hospital
        issued = selectors.issued_suffixes_by_hospital(parent_id)
        # The rule of disclosure (docs/privacy.md): letters issued by other hospitals count only when the
        # typed name is the one last registered with the number; else the letters shown are those the
        # clerk's own hospital issued, and the save decides.
        shown = identity_agrees(selectors.parent_name_of(parent_id), name) if issued else False
        taken = {suffix for suffix, hospital_id in issued if shown or hospital_id == hospital.pk}
        try:
            letters = list(suffixes_for_birth([sex for sex in sexes if sex], taken))
        except SuffixesExhausted as exc:
            return JsonResponse({"error": str(exc)}, status=409)
        if any(hospital_id != hospital.pk for _, hospital_id in issued):
            lookup_record(
                user=request.user,
                kind=KIND_PREVIEW,
                number_masked=mask_id_number(parent_id),
                answered=[
                    f"字母{'、'.join(letters) or '—'}："
                    + (
                        "已计入其他医疗机构签发的字母（姓名与此前登记一致）"
                        if shown
                        else "未计入其他医疗机构签发的字母（姓名未填写或与此前登记不一致）"
                    )
                ],
                ip=client_ip(request),
            )
        letters = iter(letters)
    babies = []
    for index in range(max(len(sexes), len(births))):
        sex = sexes[index] if index < len(sexes) else None
        letter = next(letters) if sex and parent_id else None
        birth_date = births[index] if index < len(births) else None
        babies.append(
            {
                "letter": letter,
                "temp_id": parent_id + letter if letter else None,
                "name": newborn_name(name, sex) if sex and name else None,
                "problem": _problem_message(birth_date, today),
            }
        )
    return JsonResponse({"parent_id": parent_id or None, "babies": babies, "note": "以保存时为准"})


def _problem_message(birth_date, today) -> str | None:
    problem = birth_date_problem(birth_date, today) if birth_date else None
    return problem.message if problem else None


@require_safe  # GET and HEAD: the page only shows what was saved
@never_cache
@access.module_access_required
def register_done(request, pk):
    """The result: each baby's personal number and temporary ID, and the cards to print."""
    birth = selectors.birth_get_for_user(user=request.user, pk=pk)
    newborns = list(birth.newborns.all())
    for newborn in newborns:
        # The full temporary ID is shown here: each view of it is logged (docs/rules.md, Who uses it).
        audit_record(user=request.user, action=AuditEntry.Action.VIEW_ID, obj=newborn, ip=client_ip(request))
    # Twins' names and dates are alike and their codes differ by a letter's case: each is numbered in
    # birth order and its letter spelled out, as on the card (cards.content).
    babies = [
        {"newborn": newborn, "order": birth_order_text(newborn), "letter": code_letter_note(newborn)}
        for newborn in newborns
    ]
    return render(
        request,
        "registration/register_done.html",
        {
            "birth": birth,
            "newborns": newborns,
            "babies": babies,
            "ids": ",".join(str(newborn.pk) for newborn in newborns),
            "materials_missing": materials_missing(
                birth.route, [material.kind for material in birth.materials.all()]
            ),
            "channels": payment_channels(birth.community.code, birth.agency.name if birth.agency else ""),
        },
    )
