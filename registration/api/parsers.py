"""The API's body parsers: DRF's, refusing a body they cannot read with a Chinese message (a 400).

DRF's own say `JSON parse error - Expecting property name enclosed in double quotes: line 1 column 2 (char
1)`, in English and in Python's words; a hospital system's integrator gets where the body breaks instead.

A body nested deeper than JSON_MAX_DEPTH arrays and objects is refused as well: no body of this API nests
more than four, and a thousand would exhaust Python's recursion (in the decoder or in any code that walks
the value) instead of being answered.
"""

import json

from rest_framework import parsers
from rest_framework.exceptions import ParseError

INVALID_JSON = "请求体不是有效的 JSON。"
INVALID_MULTIPART = "请求体不是有效的 multipart/form-data 表单。"
JSON_MAX_DEPTH = 32
TOO_DEEP = f"请求体的 JSON 嵌套过深：数组和对象最多嵌套{JSON_MAX_DEPTH}层。"


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except ParseError as exc:
            raise ParseError(_json_message(exc.__context__)) from None
        except RecursionError:  # the decoder's own recursion, well before the bound below
            raise ParseError(TOO_DEEP) from None
        if json_depth_exceeds(data, JSON_MAX_DEPTH):
            raise ParseError(TOO_DEEP)
        return data


def json_depth_exceeds(value, limit: int) -> bool:
    """Whether a parsed JSON value nests more than `limit` arrays and objects (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


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
