"""API clients in the admin: created with their key shown once, revoked, never deleted or edited."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse

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
    list_display = ["name", "hospital", "scopes", "created_at", "revoked_at"]
    list_filter = ["hospital"]
    search_fields = ["name"]
    actions = ["revoke"]
    readonly_fields = ["name", "hospital", "scopes", "key_prefix", "created_at", "revoked_at"]

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

    @admin.action(description="撤销所选的接口客户端（密钥立即失效）")
    def revoke(self, request, queryset):
        for client in queryset.filter(revoked_at__isnull=True):
            api_client_revoke(client=client, user=request.user, ip=client_ip(request))
        self.message_user(request, "已撤销。", messages.SUCCESS)
