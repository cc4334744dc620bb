"""Errors of logging in, each with a stable ``code`` and a message in Chinese and English.

A refused login step changes nothing but the record of the attempt (which is what makes a
lockout possible)::

    CoreError
    └── AccountsError
        ├── LoginRefused          wrong password, unknown unit, inactive account …
        │   ├── CodeInvalid       a wrong SMS or TOTP code (says how many tries are left)
        │   ├── CodeExpired       the SMS code is older than its validity
        │   └── NoPhoneOnRecord   the unit has no contact phone to send a code to
        ├── RateLimited           too many requests: try again after ``retry_after`` seconds
        ├── LockedOut             too many failures: locked until ``until``
        └── GatewayError          the SMS gateway did not accept the message
"""

from datetime import datetime

from wengang.core.clock import CHINA
from wengang.core.errors import CoreError


class AccountsError(CoreError):
    code = "accounts"


class LoginRefused(AccountsError):
    code = "login_refused"


class CodeInvalid(LoginRefused):
    code = "code_invalid"

    def __init__(self, remaining: int) -> None:
        self.remaining = remaining
        super().__init__(f"验证码不正确，还可尝试 {remaining} 次",
                         f"wrong code; {remaining} tries left")


class CodeExpired(LoginRefused):
    code = "code_expired"

    def __init__(self) -> None:
        super().__init__("验证码已失效，请重新获取", "the code has expired; request a new one")


class NoPhoneOnRecord(LoginRefused):
    code = "no_phone"

    def __init__(self, uscc: str) -> None:
        self.uscc = uscc
        super().__init__(f"单位 {uscc} 没有登记联系电话，请联系社保经办机构更新",
                         f"unit {uscc} has no contact phone on record; ask the social insurance "
                         "agency to update it")


class RateLimited(AccountsError):
    code = "rate_limited"

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(f"操作过于频繁，请 {retry_after} 秒后再试",
                         f"too many requests; try again in {retry_after} seconds")


class LockedOut(AccountsError):
    code = "locked_out"

    def __init__(self, until: datetime) -> None:
        self.until = until
        local = until.astimezone(CHINA).strftime("%H:%M")
        super().__init__(f"连续验证失败次数过多，已锁定至 {local}",
                         f"too many failed attempts; locked until {local}")


class GatewayError(AccountsError):
    code = "sms_gateway"

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(f"短信发送失败，请稍后再试（{detail}）",
                         f"the SMS could not be sent; try again later ({detail})")
