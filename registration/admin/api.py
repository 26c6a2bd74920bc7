"""API clients in the admin: created with their key shown once, revoked, never deleted or edited."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from registration.admin.base import AuditedAdmin
from registration.http import client_ip
from registration.models import ApiClient
from registration.services.api_clients import api_client_check, api_client_create, api_client_revoke


class ApiClientAddForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label="权限范围", choices=ApiClient.Scope.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ApiClient
        fields = ["name", "hospital", "scopes"]

    def clean(self):
        data = super().clean()
        if "name" in data and "scopes" in data:
            try:
                api_client_check(name=data["name"], hospital=data.get("hospital"), scopes=data["scopes"])
            except ValidationError as exc:
                self.add_error(None, exc)
        return data


@admin.register(ApiClient)
class ApiClientAdmin(AuditedAdmin):
    list_display = ["name", "hospital", "scope_labels", "created_at", "revoked_at"]
    list_filter = ["hospital"]
    search_fields = ["name"]
    actions = ["revoke"]
    readonly_fields = ["name", "hospital", "scope_labels", "key_prefix", "created_at", "revoked_at"]
    change_form_template = "admin/registration/apiclient/change_form.html"

    @admin.display(description="权限范围")
    def scope_labels(self, obj):
        return ApiClient.scopes_in_words(obj.scopes)

    def get_fields(self, request, obj=None):
        if obj is None:
            return super().get_fields(request, obj)
        return self.readonly_fields

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_revoke": self.has_change_permission(request)}
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        revoke = path(
            "<path:object_id>/revoke/",
            self.admin_site.admin_view(self.revoke_view),
            name="{}_{}_revoke".format(*info),
        )
        return [revoke, *super().get_urls()]

    def revoke_view(self, request, object_id):
        """GET: is the client to be revoked?; POST: revoke it (its key stops working at once)."""
        client = self.get_object(request, unquote(object_id))
        if client is None:
            raise Http404("没有找到该接口客户端。")
        if not self.has_change_permission(request):  # the model's change permission, as the list's action
            raise PermissionDenied
        change_url = reverse("admin:registration_apiclient_change", args=[client.pk])
        if request.method == "POST" and client.is_active:
            api_client_revoke(client=client, user=request.user, ip=client_ip(request))
            self.message_user(
                request, f"已撤销接口客户端「{client.name}」，其密钥已立即失效。", messages.SUCCESS
            )
            return HttpResponseRedirect(change_url)
        if not client.is_active:
            return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "client": client,
            "opts": self.opts,
            "title": f"撤销接口客户端「{client.name}」？",
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/registration/apiclient/revoke.html", context)

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ApiClientAddForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        # The service makes the row, its service account and its key; the admin only shows the key once.
        data = form.cleaned_data
        client, key = api_client_create(
            name=data["name"],
            hospital=data["hospital"],
            scopes=data["scopes"],
            user=request.user,
            ip=client_ip(request),
        )
        obj.pk = client.pk  # the admin logs and shows the row the service made
        obj.refresh_from_db()
        request.api_client_key = key

    def response_add(self, request, obj, post_url_continue=None):
        return TemplateResponse(
            request,
            "admin/registration/apiclient/created.html",
            {
                **self.admin_site.each_context(request),
                "client": obj,
                "key": request.api_client_key,
                "opts": self.model._meta,
                "title": "接口客户端已创建",
            },
        )

    @admin.action(description="撤销所选的接口客户端（密钥立即失效）", permissions=["change"])
    def revoke(self, request, queryset):
        for client in queryset.filter(revoked_at__isnull=True):
            api_client_revoke(client=client, user=request.user, ip=client_ip(request))
        self.message_user(request, "已撤销。", messages.SUCCESS)
