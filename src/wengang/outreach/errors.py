"""Errors of outreach, each with a stable ``code`` and a message in Chinese and English.

Built on ``core.errors.CoreError`` (``str()``: Chinese, then English; ``.zh``, ``.en``)::

    OutreachError
    ├── GatewayError            a gateway did not take a message
    │   ├── GatewayUnavailable  5xx, time-out, refused connection: retried with back-off
    │   └── GatewayRejected     the gateway said no (4xx, a business error code): not retried
    ├── ChannelNotConfigured    a channel was asked for that has no gateway settings
    ├── SignatureInvalid        a delivery receipt whose signature does not verify
    ├── ReceiptInvalid          a delivery receipt that cannot be read
    ├── CallListInvalid         a 12333 results file with a bad header or row
    └── TemplateFrozen          a programming error: editing a template version in place
"""

from wengang.core.errors import CoreError


class OutreachError(CoreError):
    code = "outreach"


class GatewayError(OutreachError):
    code = "gateway"

    def __init__(self, gateway: str, detail: str) -> None:
        self.gateway, self.detail = gateway, detail
        super().__init__(f"网关 {gateway} 未接收消息：{detail}",
                         f"gateway {gateway} did not take the message: {detail}")


class GatewayUnavailable(GatewayError):
    code = "gateway_unavailable"


class GatewayRejected(GatewayError):
    code = "gateway_rejected"


class ChannelNotConfigured(OutreachError):
    code = "channel_not_configured"

    def __init__(self, channel: str, variable: str) -> None:
        self.channel, self.variable = channel, variable
        super().__init__(f"渠道 {channel} 未配置：请设置环境变量 {variable}",
                         f"channel {channel} is not configured: set {variable}")


class SignatureInvalid(OutreachError):
    code = "signature_invalid"

    def __init__(self, gateway: str) -> None:
        self.gateway = gateway
        super().__init__(f"回执签名校验失败（网关 {gateway}），未作任何更改",
                         f"receipt signature from gateway {gateway} does not verify; nothing changed")


class ReceiptInvalid(OutreachError):
    code = "receipt_invalid"

    def __init__(self, gateway: str, detail: str) -> None:
        self.gateway, self.detail = gateway, detail
        super().__init__(f"回执无法识别（网关 {gateway}）：{detail}，未作任何更改",
                         f"receipt from gateway {gateway} cannot be read: {detail}; nothing changed")


class CallListInvalid(OutreachError):
    code = "call_list_invalid"

    def __init__(self, path: str, where: str, detail_zh: str, detail_en: str) -> None:
        self.path, self.where = path, where
        super().__init__(f"外呼结果文件 {path} {where}：{detail_zh}，未作任何更改",
                         f"call results file {path} {where}: {detail_en}; nothing changed")


class TemplateFrozen(OutreachError):
    code = "template_frozen"

    def __init__(self, template_id: int) -> None:
        super().__init__(f"模板版本 {template_id} 已被告知引用，不能修改：请新增一个版本",
                         f"template version {template_id} is cited by notices: add a new version")
