"""The domain's tables: divisions, agencies, hospitals, operators, parents, births, newborns, payments, audit.

Logic lives in ``registration.services``; here are fields, constraints and properties of a row's own fields.
Nothing here is ever deleted by the application (docs/rules.md, lifecycle): foreign keys PROTECT. The
exceptions are KeptUpload, a file kept between two requests, deleted once used or expired, and SmsMessage,
a text message to a family, purged after settings.SMS_KEEP_DAYS (docs/sms.md).
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Substr
from django.db.models.lookups import Exact
from django.utils import timezone

from registration.masking import mask_id_number
from registration.reference import (  # noqa: F401  (Sex is re-exported for the models' callers)
    ETHNICITY_CHOICES,
    HOUSEHOLD_TYPE_CHOICES,
    Sex,
    nationality_code_validate,
    nationality_name,
)


class Division(models.Model):
    """An administrative division (NBS 2023): province 2, city 4, county 6, township 9, village 12 digits."""

    class Level(models.IntegerChoices):
        PROVINCE = 1, "省"
        CITY = 2, "市"
        COUNTY = 3, "区县"
        TOWNSHIP = 4, "乡镇（街道）"
        VILLAGE = 5, "村（社区）"

    # The primary key doubles as the 社区ID clerks may search by (附件2).
    code = models.CharField("区划代码", max_length=12, unique=True)
    name = models.CharField("名称", max_length=100, db_index=True)
    level = models.PositiveSmallIntegerField("级别", choices=Level.choices)
    parent = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="children", verbose_name="上级"
    )
    # "南宁市 青秀区 新竹街道 …": shown in pick lists and searched, so a clerk tells apart the many 城关社区.
    full_name = models.CharField("全称", max_length=255, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "行政区划"
        ordering = ["code"]
        indexes = [models.Index(fields=["level", "code"], name="registration_division_lvl")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(level=1, code__regex=r"^[0-9]{2}$")
                    | Q(level=2, code__regex=r"^[0-9]{4}$")
                    | Q(level=3, code__regex=r"^[0-9]{6}$")
                    | Q(level=4, code__regex=r"^[0-9]{9}$")
                    | Q(level=5, code__regex=r"^[0-9]{12}$")
                ),
                name="registration_division_code_matches_level",
                violation_error_message="区划代码位数与级别不符（省2位、市4位、区县6位、乡镇9位、村社区12位）。",
            ),
        ]

    def __str__(self):
        return self.full_name or self.name


class InsuranceAgency(models.Model):
    """A medical-insurance agency (参保所属机构) and the divisions whose residents it enrolls."""

    code = models.CharField("机构编码", max_length=32, unique=True)
    name = models.CharField("机构名称", max_length=100)
    divisions = models.ManyToManyField(Division, related_name="agencies", verbose_name="管辖区划", blank=True)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "参保所属机构"
        ordering = ["code"]

    def __str__(self):
        return self.name


class Hospital(models.Model):
    """A designated medical institution (定点医疗机构)."""

    code = models.CharField("机构编码", max_length=32, unique=True)
    name = models.CharField("机构名称", max_length=100)
    division = models.ForeignKey(Division, models.PROTECT, related_name="hospitals", verbose_name="所属区县")
    has_maternity_ward = models.BooleanField(
        "设有产科",
        default=True,
        help_text="只有设有产科的定点医疗机构可以办理新生儿预参保登记；取消勾选后，该机构不能再新增登记"
        "（已有记录保留，它仍可被选为出生医院）。",
    )
    is_active = models.BooleanField(
        "启用",
        default=True,
        help_text="停用后，该机构的经办人员、主管和接口客户端不能再使用本模块；已登记的记录保留，"
        "管理员仍可查询。重新勾选即可恢复。每次启用、停用都记入操作日志。",
    )

    class Meta:
        verbose_name = verbose_name_plural = "定点医疗机构"
        ordering = ["code"]

    def __str__(self):
        return self.name


class Operator(models.Model):
    """A hospital's clerk or supervisor, and their access to the newborn module (附件1)."""

    class Role(models.TextChoices):
        CLERK = "clerk", "经办人"
        SUPERVISOR = "supervisor", "主管"

    class Access(models.TextChoices):
        NONE = "none", "未申请"
        REQUESTED = "requested", "已申请"
        GRANTED = "granted", "已开通"
        WITHDRAWN = "withdrawn", "已撤销"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="operator", verbose_name="账号"
    )
    hospital = models.ForeignKey(Hospital, models.PROTECT, related_name="operators", verbose_name="医疗机构")
    role = models.CharField("角色", max_length=16, choices=Role.choices, default=Role.CLERK)
    real_name = models.CharField("经办人姓名", max_length=50)
    id_number = models.CharField("身份证号码", max_length=18)
    phone = models.CharField("联系电话", max_length=20)
    access = models.CharField("模块权限", max_length=16, choices=Access.choices, default=Access.NONE)
    access_changed_at = models.DateTimeField("权限变更时间", null=True, blank=True)
    # Why access was last withdrawn or refused (不予开通), as the administrator wrote it; cleared on a grant.
    access_reason = models.CharField("权限变更原因", max_length=200, blank=True)
    remark = models.CharField("备注", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "操作人员"
        ordering = ["hospital", "real_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=["clerk", "supervisor"]),
                name="registration_operator_role_valid",
                violation_error_message="角色无效。",
            ),
            models.CheckConstraint(
                condition=Q(access__in=["none", "requested", "granted", "withdrawn"]),
                name="registration_operator_access_valid",
                violation_error_message="模块权限状态无效。",
            ),
        ]

    def __str__(self):
        return f"{self.real_name}（{self.hospital.name}）"

    @property
    def has_module_access(self) -> bool:
        return self.access == self.Access.GRANTED


class Parent(models.Model):
    """A parent identified by resident ID number; the row serialises the letters issued with that number."""

    id_number = models.CharField("身份证号码", max_length=18, unique=True)
    name = models.CharField("姓名", max_length=50)
    phone = models.CharField("联系电话", max_length=20, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "父母"
        constraints = [
            models.CheckConstraint(
                condition=Q(id_number__regex=r"^[0-9]{17}[0-9X]$"),
                name="registration_parent_id_number_format",
                violation_error_message="身份证号码须为18位。",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def sex(self) -> Sex:
        # GB 11643: the 17th digit is odd for men, even for women.
        return Sex.MALE if int(self.id_number[16]) % 2 else Sex.FEMALE


class Birth(models.Model):
    """One registration visit: one birth of 1..N babies, its family details and materials."""

    class Route(models.TextChoices):
        PARENT_ID = "parent_id", "父母身份证号+字母（其他类型）"
        BIRTH_CERTIFICATE = "birth_certificate", "出生医学证明编号"

    class ParentRole(models.TextChoices):
        MOTHER = "mother", "母亲"
        FATHER = "father", "父亲"

    # Indexed by the (hospital, registered_on) index of Meta, which starts with it.
    hospital = models.ForeignKey(
        Hospital, models.PROTECT, related_name="births", verbose_name="登记医院", db_index=False
    )
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="births", verbose_name="经办人"
    )
    registered_at = models.DateTimeField("登记时间")
    registered_on = models.DateField("参保日期", db_index=True)
    # Identifies one submitted form, so that a double click or a retried POST registers the birth once.
    request_key = models.UUIDField("提交标识", unique=True, null=True, blank=True, editable=False)
    # The API's request kept with its key: a SHA-256 of the body's canonical JSON, so that a key sent again
    # with another body is refused rather than answered with this birth (issue 24, item 1).
    request_fingerprint = models.CharField("提交内容指纹", max_length=64, blank=True, editable=False)

    route = models.CharField("证件类型", max_length=20, choices=Route.choices)
    parent = models.ForeignKey(Parent, models.PROTECT, related_name="births", verbose_name="证件所属父母")
    parent_role = models.CharField("证件所属", max_length=8, choices=ParentRole.choices)
    mother_name = models.CharField("母亲姓名", max_length=50, blank=True)
    mother_id_number = models.CharField("母亲身份证号", max_length=18, blank=True)
    mother_phone = models.CharField("母亲联系电话", max_length=20, blank=True)
    father_name = models.CharField("父亲姓名", max_length=50, blank=True)
    father_id_number = models.CharField("父亲身份证号", max_length=18, blank=True)
    father_phone = models.CharField("父亲联系电话", max_length=20, blank=True)

    community = models.ForeignKey(Division, models.PROTECT, related_name="births", verbose_name="参保社区")
    agency = models.ForeignKey(
        InsuranceAgency,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="births",
        verbose_name="参保所属机构",
    )
    # The agency found from the parent's ID region code; differing from `agency` is a confirmed warning.
    parent_agency = models.ForeignKey(
        InsuranceAgency,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="父母参保所属机构",
    )
    agency_warning_confirmed = models.BooleanField("已确认参保机构提示", default=False)
    # The warnings the clerk confirmed that applied to this registration (services/registration_check.py's
    # WARNING_CODES, sorted, space-separated): the 医保中心's quality page counts them (docs/quality.md).
    # Whether the registration still lacks a required scan (rules.materials_missing: saved with 材料暂缺 and
    # not completed since). Kept by services.newborns and services.birth_materials (and the admin's change
    # of a scan's kind), so that the quality page counts the stale ones from a small partial index.
    materials_pending = models.BooleanField("材料待补", default=False, db_default=False, editable=False)
    confirmed_warnings = models.CharField(
        "已确认的提示", max_length=100, blank=True, default="", db_default="", editable=False
    )

    birth_hospital = models.ForeignKey(
        Hospital, models.PROTECT, null=True, blank=True, related_name="+", verbose_name="出生医院（本系统）"
    )
    birth_hospital_name = models.CharField("出生医院", max_length=100)

    class Meta:
        verbose_name = verbose_name_plural = "登记（一次分娩）"
        ordering = ["-registered_at"]
        indexes = [
            models.Index(fields=["hospital", "registered_on"], name="registration_birth_hosp_day"),
            # A parent's registrations: the duplicate warning and the records list's search by a parent's ID.
            models.Index(fields=["mother_id_number"], name="registration_birth_mother_id"),
            models.Index(fields=["father_id_number"], name="registration_birth_father_id"),
            # The records list's order, newest first, for a hospital and for all (migration 0014).
            models.Index(
                F("hospital"), F("registered_at").desc(), F("id").desc(), name="registration_birth_hosp_at"
            ),
            models.Index(F("registered_at").desc(), F("id").desc(), name="registration_birth_at"),
            # The registrations confirmed past a warning, by day and hospital (selectors/quality.py): a few
            # in a hundred, so the index holds them alone.
            models.Index(
                fields=["registered_on", "hospital"],
                condition=~Q(confirmed_warnings=""),
                name="registration_birth_warned",
            ),
            models.Index(
                fields=["registered_on", "hospital"],
                condition=Q(materials_pending=True),
                name="registration_birth_pending",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(route__in=["parent_id", "birth_certificate"]),
                name="registration_birth_route_valid",
                violation_error_message="证件类型无效。",
            ),
            models.CheckConstraint(
                condition=(
                    Q(parent_role="mother", mother_id_number__regex=r"^[0-9]{17}[0-9X]$")
                    | Q(parent_role="father", father_id_number__regex=r"^[0-9]{17}[0-9X]$")
                ),
                name="registration_birth_id_parent_recorded",
                violation_error_message="证件所属父母的身份证号码必须填写。",
            ),
        ]

    def __str__(self):
        return f"{self.registered_on} {self.hospital.name} {self.parent.name}"

    @property
    def parent_name(self) -> str:
        return self.mother_name if self.parent_role == self.ParentRole.MOTHER else self.father_name


class Newborn(models.Model):
    """A pre-enrolled baby: an insured person identified by a temporary ID until formal enrollment."""

    class State(models.TextChoices):
        REGISTERED = "registered", "已登记"
        PAID = "paid", "已缴费"
        FORMALIZED = "formalized", "正式参保"
        VOID = "void", "已作废"

    class SpecialGroup(models.TextChoices):
        NONE = "", "无"
        LOW_INCOME = "low_income", "低保对象"
        EXTREME_POOR = "extreme_poor", "特困人员"
        ORPHAN = "orphan", "孤儿"
        DISABLED = "disabled", "重度残疾人"
        POVERTY_MONITORED = "poverty_monitored", "防止返贫监测对象"
        OTHER = "other", "其他"

    # Indexed by the unique (birth, birth_order) of Meta, which starts with it.
    birth = models.ForeignKey(
        Birth, models.PROTECT, related_name="newborns", verbose_name="登记", db_index=False
    )
    birth_order = models.PositiveSmallIntegerField("出生顺序", default=1)
    # The birth's hospital, denormalized (issue 15) so that one hospital's records are found through the
    # newborns' own indexes (states, last days, name bigrams) without reading the province's. Set from the
    # birth by newborn_register; a birth's hospital never changes (read-only in the admin), and on
    # PostgreSQL the composite foreign key (birth, hospital) -> birth (id, hospital) refuses a mismatch
    # (migration 0018). Indexed by the (hospital, state, last_day) index of Meta, which starts with it.
    hospital = models.ForeignKey(
        Hospital, models.PROTECT, related_name="newborns", verbose_name="登记医院", db_index=False
    )
    name = models.CharField("姓名", max_length=60)
    sex = models.PositiveSmallIntegerField("性别", choices=Sex.choices)
    birth_date = models.DateField("出生日期")
    # Case-sensitive everywhere: …1234X and …1234x are two babies (docs/rules.md, the letter).
    temp_id = models.CharField("新生儿编码", max_length=19, unique=True, null=True, blank=True)
    birth_certificate_number = models.CharField(
        "出生医学证明编号", max_length=10, unique=True, null=True, blank=True
    )
    personal_number = models.CharField("个人编号", max_length=10, unique=True)

    ethnicity = models.CharField("民族", max_length=2, choices=ETHNICITY_CHOICES, default="01")
    nationality = models.CharField(
        "国籍", max_length=3, default="CHN", validators=[nationality_code_validate]
    )
    household_address = models.CharField("户口详址", max_length=200)
    household_type = models.CharField("户口性质", max_length=2, choices=HOUSEHOLD_TYPE_CHOICES)
    phone = models.CharField("联系电话", max_length=20)

    # Derived from birth_date (pre_enrollment_last_day) and stored so that the void job and the
    # follow-up list can select and order by it in the database.
    last_day = models.DateField("缴费截止日", db_index=True)
    state = models.CharField("状态", max_length=16, choices=State.choices, default=State.REGISTERED)
    state_changed_at = models.DateTimeField("状态变更时间")
    benefit_start = models.DateField("待遇享受起始日", null=True, blank=True)
    benefit_rule = models.CharField("待遇起始依据", max_length=200, blank=True)
    voided_at = models.DateTimeField("作废时间", null=True, blank=True)
    void_reason = models.CharField("作废原因", max_length=200, blank=True)
    # Voided by the daily job for want of a payment, not by staff (or by a payment that arrived after the
    # last day: services.lifecycle.payment_record). A payment that arrived by the last day but was
    # recorded later reinstates the record; one that arrived after it is kept and the record stays void
    # (docs/rules.md, A payment after the void).
    voided_automatically = models.BooleanField("到期未缴费自动作废", default=False)
    # The birth's mother's and father's ID numbers, copied (a birth's never change: read-only in the admin)
    # by services.newborns when the newborn is made, so that the likely duplicates (selectors/quality.py)
    # are grouped from this table's indexes alone, one pass over the period's babies (docs/quality.md).
    mother_id_number = models.CharField(
        "母亲身份证号", max_length=18, blank=True, default="", db_default="", editable=False
    )
    father_id_number = models.CharField(
        "父亲身份证号", max_length=18, blank=True, default="", db_default="", editable=False
    )
    # Voided by a 医保中心 administrator as a duplicate of this record, the one kept (docs/quality.md).
    duplicate_of = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="重复登记（保留的记录）",
        db_index=False,
        editable=False,
    )
    formalized_at = models.DateTimeField("正式参保时间", null=True, blank=True)
    real_name = models.CharField("真实姓名", max_length=50, blank=True)
    real_id_number = models.CharField("身份证号码", max_length=18, unique=True, null=True, blank=True)
    special_group = models.CharField(
        "特殊人群", max_length=20, choices=SpecialGroup.choices, default=SpecialGroup.NONE, blank=True
    )
    # The family declined text messages (docs/sms.md): at registration (the clerk's checkbox, the API's
    # sms_declined) or later on the record's page; who recorded it and when. Nothing is sent after.
    sms_declined_at = models.DateTimeField("拒收短信时间", null=True, blank=True)
    sms_declined_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="拒收短信登记人",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    # Copies for the reports, so that a province's three years are counted from this table alone
    # (issue 15): the birth's registration day, which never changes (read-only in the admin too), set by
    # services.newborns when the newborn is made; and the day the first payment arrived, kept by
    # services.lifecycle.payment_record, the payments' only writer (tests/registration/
    # test_report_columns.py).
    registered_on = models.DateField("参保日期", editable=False)
    first_paid_on = models.DateField("首次缴费到账日期", null=True, blank=True, editable=False)
    # The end of the run of paid calendar years from the benefit start, counting the payments that arrived
    # by the last day (rules.card_cover): the card covers up to the earlier of this and the last day
    # (docs/rules.md, Which days are covered). Kept by services.lifecycle.payment_record, so that the
    # card's notice (no query) and the follow-up list (a filter) read it from the row.
    paid_until = models.DateField("已缴费年度保障至", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = verbose_name_plural = "新生儿"
        ordering = ["-birth__registered_at", "birth_order"]
        indexes = [
            # The unpaid records by last day: an administrator's follow-up list and home counts, void_expired.
            # Only the last three months' unpaid are in it (a few thousand at 300,000 newborns): a (state,
            # last_day) index read every newborn of the last days, paid ones included, and the planner
            # preferred the plain last_day index (issue 15). A hospital's go through the index below.
            models.Index(
                fields=["last_day"], condition=Q(state="registered"), name="registration_newborn_unpaid"
            ),
            # One hospital's records: by state (the records list's state filter), its unpaid by last day
            # (its follow-up list, the home page's counts), all of them. The birth is included so that the
            # lists' bounded counts, joined to the births for the hospital (access.newborns_in), read no
            # newborn's row (PostgreSQL; SQLite ignores INCLUDE).
            models.Index(
                fields=["hospital", "state", "last_day"],
                include=["birth"],
                name="registration_newborn_hosp_st",
            ),
            # The paid records whose card outlives the years paid (the follow-up list's "next year unpaid"):
            # a few hundred in a province's winter, read without the paid records of the last three months.
            models.Index(
                fields=["last_day"],
                condition=Q(state="paid", paid_until__lt=F("last_day")),
                name="registration_newborn_next_year",
            ),
            models.Index(fields=["birth_date"], name="registration_newborn_bdate"),
            # The paid records not formally enrolled N days after their last day (selectors/quality.py), with
            # the registration day the quality page's period filters on.
            models.Index(
                fields=["last_day", "hospital"],
                include=["registered_on"],
                condition=Q(state="paid"),
                name="registration_newborn_paid_due",
            ),
            # The likely duplicates (selectors/quality.py): the babies in force with a parent's number, in
            # the order they are grouped by (birth date, sex, number), so that a period is one range of the
            # index, grouped as it is read, with the birth counted; read alone.
            models.Index(
                fields=["birth_date", "sex", "mother_id_number"],
                include=["birth"],
                condition=~Q(mother_id_number="") & ~Q(state="void"),
                name="registration_newborn_dup_m",
            ),
            models.Index(
                fields=["birth_date", "sex", "father_id_number"],
                include=["birth"],
                condition=~Q(father_id_number="") & ~Q(state="void"),
                name="registration_newborn_dup_f",
            ),
            # The records voided as another's duplicate: few, so a partial index of those alone (the kept
            # record's delete is refused through it, models.PROTECT, without reading every newborn).
            models.Index(
                fields=["duplicate_of"],
                condition=Q(duplicate_of__isnull=False),
                name="registration_newborn_dupof",
            ),
            # The reports (selectors/reports.py): a period's records read from an index alone, with what
            # they are grouped by: of every hospital by registration day, of one hospital by its own (with
            # the birth, which a hospital's scope joins on: access.newborns_in).
            models.Index(
                fields=["registered_on", "hospital", "state", "first_paid_on"],
                name="registration_newborn_report",
            ),
            models.Index(
                fields=["hospital", "registered_on", "state", "first_paid_on"],
                include=["birth"],
                name="registration_newborn_hosp_rep",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["birth", "birth_order"],
                name="registration_newborn_birth_order_unique",
                violation_error_message="同一次分娩的出生顺序不能重复。",
            ),
            models.CheckConstraint(
                condition=Q(birth_order__gte=1),
                name="registration_newborn_birth_order_positive",
                violation_error_message="出生顺序从1开始。",
            ),
            models.CheckConstraint(
                condition=Q(sex__in=[1, 2]),
                name="registration_newborn_sex_valid",
                violation_error_message="性别无效。",
            ),
            models.CheckConstraint(
                condition=(
                    Q(temp_id__isnull=False, birth_certificate_number__isnull=True)
                    | Q(temp_id__isnull=True, birth_certificate_number__isnull=False)
                ),
                name="registration_newborn_one_identity",
                violation_error_message="新生儿须有且仅有一个临时证件号码（父母身份证号+字母或出生医学证明编号）。",
            ),
            models.CheckConstraint(
                condition=Q(temp_id__isnull=True) | Q(temp_id__regex=r"^[0-9]{17}[0-9X][A-Za-z]$"),
                name="registration_newborn_temp_id_format",
                violation_error_message="新生儿编码须为父母身份证号加一个字母。",
            ),
            models.CheckConstraint(
                condition=Q(personal_number__regex=r"^[0-9]{10}$"),
                name="registration_newborn_personal_number_format",
                violation_error_message="个人编号须为10位数字。",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["registered", "paid", "formalized", "void"]),
                name="registration_newborn_state_valid",
                violation_error_message="状态无效。",
            ),
            models.CheckConstraint(
                condition=(
                    Q(state="void", voided_at__isnull=False) & ~Q(void_reason="")
                    | ~Q(state="void") & Q(voided_at__isnull=True, void_reason="")
                ),
                name="registration_newborn_void_has_reason",
                violation_error_message="作废的记录必须有作废时间和原因。",
            ),
            models.CheckConstraint(
                condition=Q(state="void") | Q(voided_automatically=False),
                name="registration_newborn_auto_void_is_void",
                violation_error_message="只有已作废的记录才能标记为到期自动作废。",
            ),
            models.CheckConstraint(
                condition=(
                    Q(state="formalized", formalized_at__isnull=False, real_id_number__isnull=False)
                    & ~Q(real_name="")
                    | ~Q(state="formalized") & Q(formalized_at__isnull=True, real_id_number__isnull=True)
                ),
                name="registration_newborn_formalized_has_real_id",
                violation_error_message="正式参保的记录必须有真实姓名和身份证号码。",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["registered", "void"]) | Q(benefit_start__isnull=False),
                name="registration_newborn_paid_has_benefit_start",
                violation_error_message="已缴费的记录必须有待遇享受起始日。",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def identity_number(self) -> str:
        """The number the baby is settled under until formal enrollment."""
        return self.temp_id or self.birth_certificate_number or ""

    @property
    def nationality_name(self) -> str:
        return nationality_name(self.nationality)


class DuplicateDismissal(models.Model):
    """A likely duplicate pair (selectors/quality.py) a 医保中心 administrator judged to be two babies.

    The pair is stored in order (first < second), so that it is one row whichever way it was opened; it
    then leaves the quality page's list (docs/quality.md).
    """

    first = models.ForeignKey(
        Newborn, models.PROTECT, related_name="+", verbose_name="记录一", db_index=False
    )
    second = models.ForeignKey(Newborn, models.PROTECT, related_name="+", verbose_name="记录二")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="判定人"
    )
    decided_at = models.DateTimeField("判定时间", default=timezone.now)
    reason = models.CharField("原因", max_length=200)

    class Meta:
        verbose_name = verbose_name_plural = "非重复登记判定"
        ordering = ["-decided_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["first", "second"],
                name="registration_duplicatedismissal_pair_unique",
                violation_error_message="这两条记录已经判定为非重复登记。",
            ),
            models.CheckConstraint(
                condition=Q(first__lt=F("second")),
                name="registration_duplicatedismissal_pair_ordered",
                violation_error_message="记录一须早于记录二。",
            ),
        ]

    def __str__(self):
        return f"{self.first_id}–{self.second_id}"


class IssuedTemporaryId(models.Model):
    """The register of temporary ID numbers ever issued: a number once issued is never issued again.

    Rows are also entered for numbers known to have been issued outside this system, so that the
    next letter skips them (docs/rules.md: "by any hospital, in any earlier registration").
    """

    number = models.CharField("新生儿编码", max_length=19, unique=True)
    # Indexed by the unique (parent, suffix) of Meta, which starts with it.
    parent = models.ForeignKey(
        Parent, models.PROTECT, related_name="issued_ids", verbose_name="父母", db_index=False
    )
    suffix = models.CharField("字母", max_length=1)
    newborn = models.OneToOneField(
        Newborn, models.PROTECT, null=True, blank=True, related_name="issued_id", verbose_name="新生儿"
    )
    issued_at = models.DateTimeField("签发时间")
    note = models.CharField("备注", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "已签发新生儿编码"
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "suffix"],
                name="registration_issuedtemporaryid_parent_suffix_unique",
                violation_error_message="该父母身份证号的这个字母已经签发过。",
            ),
            models.CheckConstraint(
                condition=Q(suffix__regex=r"^[A-Za-z]$") & Q(number__regex=r"^[0-9]{17}[0-9X][A-Za-z]$"),
                name="registration_issuedtemporaryid_format",
                violation_error_message="新生儿编码须为身份证号加一个字母。",
            ),
            # Compared with "=", not LIKE: SQLite's LIKE ignores case, and X and x are different letters.
            models.CheckConstraint(
                condition=Exact(Substr("number", 19, 1), F("suffix")),
                name="registration_issuedtemporaryid_suffix_matches",
                violation_error_message="字母与编码末位不一致。",
            ),
        ]

    def __str__(self):
        # Masked: str() lands in Django's admin log and ours, which never hold a full number.
        return mask_id_number(self.number)


class Material(models.Model):
    """A scan or photo uploaded with a registration (附件2 资料收集)."""

    class Kind(models.TextChoices):
        HOUSEHOLD_HEAD_PAGE = "household_head", "户口簿户主页"
        HOUSEHOLD_PARENT_PAGE = "household_parent", "户口簿父（母）亲信息页"
        ID_CARD = "id_card", "父（母）亲身份证"
        BIRTH_RECORD = "birth_record", "出生记录（产时记录、产科登记表）"
        BIRTH_CERTIFICATE = "birth_certificate", "出生医学证明"

    # Indexed with the kind (Meta.indexes), which also serves the lookups by birth alone.
    birth = models.ForeignKey(
        Birth, models.PROTECT, related_name="materials", verbose_name="登记", db_index=False
    )
    kind = models.CharField("材料类型", max_length=20, choices=Kind.choices)
    file = models.FileField("文件", upload_to="materials/%Y/%m/", max_length=255)
    content_type = models.CharField("文件类型", max_length=50)
    size = models.PositiveIntegerField("大小（字节）")
    sha256 = models.CharField("SHA-256", max_length=64)
    original_name = models.CharField("原文件名", max_length=255, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="上传人"
    )
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "登记材料"
        ordering = ["birth", "kind", "pk"]
        # Whether a birth has a scan of a kind (the lists' 材料不全 column and filter): one index probe per
        # listed record. With the birth alone indexed, PostgreSQL hashed the whole table's scans of each
        # kind for a page of 25 records (about 1 s at 300,000 newborns, issue 15).
        indexes = [models.Index(fields=["birth", "kind"], name="registration_material_kinds")]
        constraints = [
            models.CheckConstraint(
                condition=Q(content_type__in=["image/jpeg", "image/png", "application/pdf"]),
                name="registration_material_content_type_allowed",
                violation_error_message="材料只能是 JPEG、PNG 图片或 PDF 文件。",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}（{self.original_name}）"


class KeptUpload(models.Model):
    """A file kept in the storage for its owner between two requests (services/kept_uploads.py).

    A scan uploaded with a registration submit that failed (the clerk corrects the form and does not scan
    the page again), or a payment list between its preview and its confirmation. The token is what the
    page carries; it finds the row only together with its owner. The file's name in the storage is random
    and unrelated to the token. Rows are deleted once used, and by clean_staging when nobody came back.
    """

    class Kind(models.TextChoices):
        SCAN = "scan", "登记材料（待提交）"
        PAYMENT_LIST = "payment_list", "缴费名单（待确认）"

    token = models.CharField("令牌", max_length=32, unique=True, editable=False)  # a random UUID's hex
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="+", verbose_name="上传人"
    )
    kind = models.CharField("类型", max_length=20, choices=Kind.choices)
    material_kind = models.CharField("材料类型", max_length=20, choices=Material.Kind.choices, blank=True)
    file = models.FileField("文件", upload_to="kept/", max_length=255)
    original_name = models.CharField("原文件名", max_length=255, blank=True)
    content_type = models.CharField("文件类型", max_length=100, blank=True)
    size = models.PositiveIntegerField("大小（字节）")
    sha256 = models.CharField("SHA-256", max_length=64)
    created = models.DateTimeField("上传时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = verbose_name_plural = "暂存文件"
        ordering = ["created", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="scan", material_kind__gt="") | Q(kind="payment_list", material_kind=""),
                name="registration_keptupload_material_kind_for_scans",
                violation_error_message="只有登记材料才有材料类型。",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}（{self.original_name}）"


class Payment(models.Model):
    """A premium payment that arrived for a newborn (for one or more years)."""

    class Source(models.TextChoices):
        MANUAL = "manual", "手工录入"
        IMPORT = "import", "缴费名单导入"

    # Indexed by the (newborn, paid_on) index of Meta, which starts with it.
    newborn = models.ForeignKey(
        Newborn, models.PROTECT, related_name="payments", verbose_name="新生儿", db_index=False
    )
    paid_on = models.DateField("到账日期")
    years = models.JSONField("缴费年度", default=list)
    receipt_number = models.CharField("缴费凭证号", max_length=64, blank=True)
    amount = models.DecimalField(
        "金额（元）",
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"), message="缴费金额不能为负数。")],
    )
    source = models.CharField("来源", max_length=10, choices=Source.choices, default=Source.MANUAL)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="录入人"
    )
    recorded_at = models.DateTimeField("录入时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "缴费记录"
        ordering = ["newborn", "paid_on"]
        # A newborn's payments by day: payment_record's reads under the newborn's lock, and migration 0017's
        # fill of the first payment's day (the reports read Newborn.first_paid_on since).
        indexes = [models.Index(fields=["newborn", "paid_on"], name="registration_payment_first")]
        constraints = [
            # A receipt is one payment for one baby: the same number on another baby's payment is a typo.
            models.UniqueConstraint(
                fields=["receipt_number"],
                condition=~Q(receipt_number=""),
                name="registration_payment_receipt_unique",
                violation_error_message="该缴费凭证号已经录入过。",
            ),
            # A payment's identity without a receipt number: the day it arrived and the years it paid
            # (the service stores the years sorted, so equal sets are equal values). Re-importing a
            # payment list therefore cannot record the same payment twice.
            models.UniqueConstraint(
                fields=["newborn", "paid_on", "years"],
                condition=Q(receipt_number=""),
                name="registration_payment_unreceipted_unique",
                violation_error_message="该新生儿同一到账日期、同一缴费年度的缴费已经录入过。",
            ),
            # Every writer refuses a negative amount (the page and the lists want more than 0, the API
            # 0 or more); the database too, whatever writes next (migration 0024).
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0),
                name="registration_payment_amount_not_negative",
                violation_error_message="缴费金额不能为负数。",
            ),
        ]

    def __str__(self):
        return f"{self.paid_on} {self.years_words}"

    @property
    def years_words(self) -> str:
        """The years paid as the pages write them: 2025、2026年度 (not the stored [2025, 2026])."""
        return f"{'、'.join(str(year) for year in self.years)}年度" if self.years else "—"


class AuditEntry(models.Model):
    """An append-only record of who did what, when, from where and why."""

    class Action(models.TextChoices):
        LOGIN = "login", "登录"
        LOGIN_FAILED = "login_failed", "登录失败"
        LOGOUT = "logout", "退出"
        REGISTER = "register", "预参保登记"
        UPDATE = "update", "修改"
        PAYMENT = "payment", "缴费"
        FORMALIZE = "formalize", "正式参保"
        VOID = "void", "作废"
        VIEW_ID = "view_id", "查看完整证件号码"
        VIEW_MATERIAL = "view_material", "查看材料"
        PRINT = "print", "打印登记卡"
        EXPORT = "export", "导出"
        IMPORT = "import", "导入"
        ACCESS = "access", "模块权限"
        ADMIN = "admin", "后台管理"
        PASSWORD = "password", "修改密码"
        BACKUP = "backup", "数据备份"
        RESTORE = "restore", "数据恢复"
        VERIFY = "verify", "核验参保状态"
        API = "api", "接口调用"
        LOOKUP = "lookup", "跨院查询"
        SMS = "sms", "发送短信"
        SMS_DECLINE = "sms_decline", "拒收短信"
        DUPLICATE = "duplicate", "重复登记判定"

    # Set when the entry is made (not when saved): it is part of the entry's MAC (services/audit_chain.py).
    at = models.DateTimeField("时间", default=timezone.now, editable=False, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name="用户"
    )
    username = models.CharField("用户名", max_length=150, blank=True)
    # The foreign keys hospital and newborn are indexed by the (…, at) indexes of Meta, which start with them.
    hospital = models.ForeignKey(
        Hospital,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="医疗机构",
        db_index=False,
    )
    ip = models.GenericIPAddressField("IP地址", null=True, blank=True)
    action = models.CharField("操作", max_length=20, choices=Action.choices)
    object_type = models.CharField("对象类型", max_length=50, blank=True)
    object_id = models.CharField("对象ID", max_length=50, blank=True)
    # Already masked: the log never holds a full ID number.
    object_repr = models.CharField("对象", max_length=200, blank=True)
    newborn = models.ForeignKey(
        Newborn,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_entries",
        verbose_name="新生儿",
        db_index=False,
    )
    reason = models.CharField("原因", max_length=500, blank=True)
    detail = models.JSONField("详情", default=dict, blank=True)
    # The entry's keyed MAC over its content and a random nonce, computed by the application with a key the
    # database does not hold (registration/services/audit_chain.py). Empty for entries made before
    # migration 0020, which sealed them as it found them; the database's own default for rows an INSERT
    # outside the application makes, which therefore have none.
    nonce = models.CharField("随机数", max_length=32, blank=True, default="", db_default="", editable=False)
    mac = models.CharField("校验值", max_length=64, blank=True, default="", db_default="", editable=False)

    class Meta:
        verbose_name = verbose_name_plural = "操作日志"
        ordering = ["-at", "-pk"]
        default_permissions = ("add", "view")
        constraints = [
            # A copied row (INSERT … SELECT of a genuine entry) carries its nonce: refused, not just detected.
            models.UniqueConstraint(
                fields=["nonce"], condition=~models.Q(nonce=""), name="registration_auditentry_nonce_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["hospital", "at"], name="registration_audit_hosp_at"),
            models.Index(fields=["newborn", "at"], name="registration_audit_newborn_at"),
            # The audit page's filters, newest first (migration 0014).
            models.Index(fields=["action", "at"], name="registration_audit_action_at"),
            models.Index(fields=["hospital", "action", "at"], name="registration_audit_hosp_act_at"),
            models.Index(fields=["username", "at"], name="registration_audit_user_at"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.get_action_display()}"


class SmsMessage(models.Model):
    """One text message to a family (docs/sms.md), written before it is sent and claimed once by the job.

    pending → sending (claimed by one run, committed before the gateway is called) → sent, or back to
    pending with a later next_attempt_at after a temporary error, or failed (a permanent error, too many
    attempts, or a claim whose run died: its outcome unknown, never sent again). declined: the family
    declined before it went; cancelled: no longer due (paid, void, formally enrolled).
    """

    class Kind(models.TextChoices):
        WELCOME = "welcome", "登记告知"
        REMINDER = "reminder", "缴费提醒"
        CONFIRMATION = "confirmation", "缴费确认"

    class State(models.TextChoices):
        PENDING = "pending", "待发送"
        SENDING = "sending", "发送中"
        SENT = "sent", "已发送"
        FAILED = "failed", "发送失败"
        DECLINED = "declined", "家长拒收"
        CANCELLED = "cancelled", "无需发送"

    newborn = models.ForeignKey(
        Newborn, models.PROTECT, related_name="sms_messages", verbose_name="新生儿", db_index=False
    )
    kind = models.CharField("类型", max_length=16, choices=Kind.choices)
    # A reminder's step: the days before the last day it was due at (settings.SMS_REMINDER_DAYS); 0 else.
    step = models.PositiveSmallIntegerField("提前天数", default=0)
    phone = models.CharField("手机号码", max_length=20)
    template_code = models.CharField("模板编号", max_length=64)
    params = models.JSONField("模板参数", default=dict)
    text = models.TextField("短信内容")
    state = models.CharField("状态", max_length=16, choices=State.choices, default=State.PENDING)
    gateway_id = models.CharField("网关消息ID", max_length=100, blank=True)
    attempts = models.PositiveSmallIntegerField("发送次数", default=0)
    next_attempt_at = models.DateTimeField("下次发送时间")
    claimed_at = models.DateTimeField("领取时间", null=True, blank=True)
    last_error = models.CharField("失败原因", max_length=200, blank=True)
    created_at = models.DateTimeField("创建时间")
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "短信"
        ordering = ["-created_at", "-pk"]
        default_permissions = ("view",)
        constraints = [
            # Each message at most once per record: one welcome, one confirmation, one reminder per step.
            models.UniqueConstraint(
                fields=["newborn", "kind", "step"],
                name="registration_sms_once",
                violation_error_message="同一条短信不能重复生成。",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["welcome", "reminder", "confirmation"]),
                name="registration_sms_kind_valid",
                violation_error_message="短信类型无效。",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["pending", "sending", "sent", "failed", "declined", "cancelled"]),
                name="registration_sms_state_valid",
                violation_error_message="短信状态无效。",
            ),
        ]
        indexes = [
            # The job's queue: the pending messages by when they may go next, and the claimed ones.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state__in=["pending", "sending"]),
                name="registration_sms_queue",
            ),
            # The follow-up list's "短信发送失败": the failed messages, and those awaiting a retry after
            # failing (a few in a province), read without the sent ones.
            models.Index(
                fields=["newborn"],
                condition=Q(state__in=["failed", "pending"]) & ~Q(last_error=""),
                name="registration_sms_failed",
            ),
            models.Index(fields=["created_at"], name="registration_sms_created"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.get_state_display()}"


class AuditSeal(models.Model):
    """One link of the audit log's seal chain: an entry, in the order it was sealed, keyed to the link before.

    `entry_mac` is the entry's MAC when sealed; `mac` = HMAC(key, previous link's mac, seq, entry id,
    entry_mac). A deleted, altered or copied entry, or a removed or reordered link, fails the chain
    (manage.py audit_verify; docs/privacy.md, A tamper-evident audit log). Not a foreign key: a seal
    outlives the entry it names, so that the entry's deletion is seen rather than refused by a constraint.
    """

    seq = models.BigIntegerField("序号", primary_key=True)
    entry_id = models.BigIntegerField("日志ID", unique=True)
    entry_mac = models.CharField("日志校验值", max_length=64)
    mac = models.CharField("链校验值", max_length=64)
    sealed_at = models.DateTimeField("封存时间", default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "操作日志封存链"
        default_permissions = ("view",)

    def __str__(self):
        return f"#{self.seq} → {self.entry_id}"


class NumberSequence(models.Model):
    """A counter for databases without sequences (SQLite); PostgreSQL uses a real sequence instead."""

    name = models.CharField("序列名称", max_length=50, primary_key=True)
    last_value = models.BigIntegerField("当前值", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "编号序列"

    def __str__(self):
        return f"{self.name}={self.last_value}"


class BudgetCount(models.Model):
    """The calls one subject made in one fixed window of a rate limit (registration/services/budgets.py).

    One row per budget key and window, counted by one INSERT … ON CONFLICT DO UPDATE, so that every node
    and worker shares the count and no two calls read the same value. Rows of windows that ended are
    deleted as new windows begin.
    """

    key = models.CharField("计数键", max_length=200)
    window_start = models.BigIntegerField("时间窗起点（Unix秒）")
    expires = models.BigIntegerField("时间窗终点（Unix秒）", db_index=True)
    calls = models.PositiveIntegerField("次数", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "调用计数"
        constraints = [
            models.UniqueConstraint(fields=["key", "window_start"], name="registration_budgetcount_window"),
        ]

    def __str__(self):
        return f"{self.key}@{self.window_start}={self.calls}"


class TemporaryPassword(models.Model):
    """A password someone else chose for an account: a clerk's one-time password, an administrator's reset.

    While it is not replaced, every page but the password change sends the user there; after
    settings.TEMPORARY_PASSWORD_DAYS it no longer logs in at all (registration.services.passwords).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        primary_key=True,
        related_name="temporary_password",
        verbose_name="账号",
    )
    issued_at = models.DateTimeField("设置时间")
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="设置人",
    )
    replaced_at = models.DateTimeField("本人修改时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "临时密码"
        constraints = [
            models.CheckConstraint(
                condition=Q(replaced_at__isnull=True) | Q(replaced_at__gte=F("issued_at")),
                name="registration_temporarypassword_replaced_after_issued",
                violation_error_message="修改时间不能早于设置时间。",
            ),
        ]

    def __str__(self):
        return f"{self.user} {self.issued_at:%Y-%m-%d}"

    @property
    def pending(self) -> bool:
        """The user has not chosen a password of their own since this one was set."""
        return self.replaced_at is None


class ApiClient(models.Model):
    """A hospital information system or the 医保中心's system calling /api/v1/ with a key (issue 16).

    The key is shown once, when it is made; only its prefix (to find the row) and its SHA-256 are kept.
    The calls act as `user`, a service account made with the client: an operator of the hospital with
    module access (the registration write needs one), or for the 医保中心 a staff account without an
    operator. Neither has a usable password, so neither can log in to the site.
    """

    class Scope(models.TextChoices):
        BIRTHS_WRITE = "births:write", "登记新生儿、补传材料"
        RECORDS_READ = "records:read", "查询本院登记记录"
        COVERAGE_READ = "coverage:read", "核验登记卡参保状态"
        PAYMENTS_WRITE = "payments:write", "录入缴费（医保中心）"

    name = models.CharField("名称", max_length=100)
    hospital = models.ForeignKey(
        Hospital,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="api_clients",
        verbose_name="医疗机构",
        help_text="医保中心的客户端不属于任何医疗机构。",
    )
    scopes = models.JSONField("权限范围", default=list)
    key_prefix = models.CharField("密钥前缀", max_length=16, unique=True, editable=False)
    key_hash = models.CharField("密钥SHA-256", max_length=64, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="api_client",
        verbose_name="系统账号",
        editable=False,
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "接口客户端"
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["name"],
                condition=Q(revoked_at__isnull=True),
                name="registration_apiclient_name_unique_active",
                violation_error_message="已有同名的有效接口客户端。",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def scope_words(self) -> str:
        return self.scopes_in_words(self.scopes)

    @classmethod
    def scopes_in_words(cls, scopes) -> str:
        """Scopes by their names, as the admin and the audit log show them (查询本院登记记录、…)."""
        labels = dict(cls.Scope.choices)
        return "、".join(str(labels.get(scope, scope)) for scope in scopes or []) or "—"
