"""The API's body parsers: DRF's, refusing a body they cannot read with a Chinese message (a 400).

DRF's own say `JSON parse error - Expecting property name enclosed in double quotes: line 1 column 2 (char
1)`, in English and in Python's words; a hospital system's integrator gets where the body breaks instead.
"""

import json

from rest_framework import parsers
from rest_framework.exceptions import ParseError

INVALID_JSON = "请求体不是有效的 JSON。"
INVALID_MULTIPART = "请求体不是有效的 multipart/form-data 表单。"


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except ParseError as exc:
            raise ParseError(_json_message(exc.__context__)) from None


def _json_message(cause: BaseException | None) -> str:
    """What was wrong with the body, from the error DRF's parser met (its raise's context)."""
    if isinstance(cause, json.JSONDecodeError):
        return f"请求体不是有效的 JSON：第{cause.lineno}行第{cause.colno}列有误。"
    if isinstance(cause, UnicodeDecodeError):
        return "请求体不是有效的 JSON：须为 UTF-8 编码的文本。"
    if isinstance(cause, LookupError | UnicodeError):  # a charset DRF refuses, such as bz2_codec
        return "请求体不是有效的 JSON：Content-Type 请求头中的字符集不受支持，请使用 UTF-8。"
    return INVALID_JSON  # NaN or Infinity, which JSON has no such values for


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except ParseError:
            raise ParseError(INVALID_MULTIPART) from None
