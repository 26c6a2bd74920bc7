"""The password rules (settings.py's AUTH_PASSWORD_VALIDATORS): Django's length rule in Chinese, and the
character classes. Temporary passwords and resets are registration.services.passwords."""

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's length rule in Chinese: Django 5.2's zh_Hans catalog lacks this message's new wording."""

    def get_error_message(self):
        return f"密码太短，至少需要{self.min_length}个字符。"

    def get_help_text(self):
        return f"你的密码必须包含至少 {self.min_length} 个字符。"


def _character_class(char: str) -> str:
    if char.isdigit():
        return "digit"
    if char.isupper():
        return "upper"
    if char.islower():
        return "lower"
    if char.isalpha():
        return "letter"  # letters without case: Chinese characters, kana
    return "symbol"


class CharacterClassValidator:
    """Refuses a blank or whitespace-only password, and one of a single class of characters.

    The classes are upper-case letters, lower-case letters, digits, letters without case (汉字) and
    symbols; spaces count for none. Ten spaces, `aaaaaaaaaa` or `qingxiuward` are refused, `qingxiu-2026`
    and Django's other rules' passwords pass. Django's own validators let the first two through: ten spaces
    are ten characters, not common and not numeric.
    """

    def validate(self, password, user=None):
        if not password or not password.strip():
            raise ValidationError("密码不能为空，也不能只由空格组成。", code="password_blank")
        classes = {_character_class(char) for char in password if not char.isspace()}
        if len(classes) < 2:
            raise ValidationError(
                "密码过于简单：须包含大写字母、小写字母、数字、符号中的至少两类字符，"
                "不能全是同一类字符（如同一个字符重复）。",
                code="password_single_class",
            )

    def get_help_text(self):
        return "你的密码必须包含大写字母、小写字母、数字、符号中的至少两类字符，不能只有空格。"
