"""Errors of the API, each with a stable ``code``, a message in Chinese and English, and the HTTP
status the API answers with. Nothing changes when one is raised::

    CoreError
    └── ApiError
        ├── NotAuthenticated    no credentials (401)
        ├── TokenInvalid        an unknown or malformed token (401)
        │   ├── TokenExpired
        │   └── TokenRevoked
        ├── Forbidden           authenticated, but not allowed (403)
        │   ├── ScopeMissing    the token lacks the operation's scope
        │   ├── RoleRefused     the user's role may not call the operation
        │   └── FeedNotYours    a department pushing another department's feed
        ├── TokenRefused        a token that may not be made (400)
        ├── FeedUnknown         an upload that names no feed of the contract (400)
        ├── FileTooLarge        an upload far larger than any file of its kind (400)
        └── NotFound            nothing the caller may see has that id (404)
"""

from datetime import datetime

from wengang.core.clock import CHINA
from wengang.core.errors import CoreError


class ApiError(CoreError):
    code = "api"
    status = 400


class NotAuthenticated(ApiError):
    code = "not_authenticated"
    status = 401

    def __init__(self) -> None:
        super().__init__("请先登录，或在请求头 Authorization: Bearer 中提供接口令牌",
                         "log in, or send an API token in the header Authorization: Bearer")


class TokenInvalid(ApiError):
    code = "token_invalid"
    status = 401

    def __init__(self, zh: str = "接口令牌无效", en: str = "the API token is not valid") -> None:
        super().__init__(zh, en)


class TokenExpired(TokenInvalid):
    code = "token_expired"

    def __init__(self, key_id: str, expired_at: datetime) -> None:
        self.key_id, self.expired_at = key_id, expired_at
        at = expired_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
        super().__init__(f"接口令牌 {key_id} 已于 {at} 失效，请联系管理员重新申请",
                         f"API token {key_id} expired at {at}; ask an administrator for a new one")


class TokenRevoked(TokenInvalid):
    code = "token_revoked"

    def __init__(self, key_id: str) -> None:
        self.key_id = key_id
        super().__init__(f"接口令牌 {key_id} 已被吊销", f"API token {key_id} has been revoked")


class Forbidden(ApiError):
    code = "forbidden"
    status = 403


class ScopeMissing(Forbidden):
    code = "scope_missing"

    def __init__(self, key_id: str, scope: str) -> None:
        self.key_id, self.scope = key_id, scope
        super().__init__(f"接口令牌 {key_id} 没有权限范围 {scope}",
                         f"API token {key_id} lacks the scope {scope}")


class RoleRefused(Forbidden):
    code = "wrong_role"

    def __init__(self, role: str, allowed: tuple[str, ...]) -> None:
        self.role, self.allowed = role, allowed
        super().__init__(f"角色“{role}”不能调用此接口（可调用的角色：{'、'.join(allowed)}）",
                         f"role {role} may not call this operation (allowed: {', '.join(allowed)})")


class FeedNotYours(Forbidden):
    code = "feed_not_yours"

    def __init__(self, feed: str, yours: tuple[str, ...]) -> None:
        self.feed, self.yours = feed, yours
        mine_zh = "、".join(yours) or "无"
        super().__init__(f"数据 {feed} 不由您所在的部门报送（可报送：{mine_zh}）",
                         f"feed {feed} is not your department's (yours: {', '.join(yours) or 'none'})")


class TokenRefused(ApiError):
    code = "token_refused"


class FeedUnknown(ApiError):
    code = "feed_unknown"

    def __init__(self, file_name: str, known: tuple[str, ...]) -> None:
        self.file_name = file_name
        super().__init__(f"文件 {file_name} 不是约定的数据文件（{'、'.join(known)}，后缀 csv/xlsx/parquet）",
                         f"file {file_name} is no feed of the contract ({', '.join(known)}; "
                         "suffix csv, xlsx or parquet)")


class FileTooLarge(ApiError):
    code = "file_too_large"

    def __init__(self, what: str, what_en: str, size: int, limit: int) -> None:
        super().__init__(f"{what}过大（{size:,} 字节，上限 {limit:,} 字节）",
                         f"the {what_en} is too large ({size:,} bytes; at most {limit:,})")


class NotFound(ApiError):
    code = "not_found"
    status = 404

    def __init__(self, what: str, what_en: str) -> None:
        super().__init__(f"没有您可查看的{what}", f"no {what_en} you may see has that id")
