"""Errors of statistics, each with a stable ``code`` and a message in Chinese and English.

Built on ``core.errors.CoreError`` (``str()``: Chinese, then English; ``.zh``, ``.en``)::

    StatsError
    ├── StatsKeyError          no usable signing key for roll-up files (WENGANG_STATS_KEY)
    ├── RollupFileInvalid      a roll-up file that cannot be read, or is not ours
    ├── SignatureInvalid       a roll-up file whose signature does not verify: nothing imported
    ├── RollupOverlaps         a roll-up whose region this deployment already counts itself
    └── ReportInvalid          a report asked for with a bad month or an empty scope
"""

from wengang.core.errors import CoreError


class StatsError(CoreError):
    code = "stats"


class StatsKeyError(StatsError):
    code = "stats_key"


class RollupFileInvalid(StatsError):
    code = "rollup_invalid"

    def __init__(self, name: str, detail_zh: str, detail_en: str) -> None:
        self.name = name
        super().__init__(f"汇总文件 {name} 无法导入：{detail_zh}",
                         f"roll-up file {name} cannot be imported: {detail_en}")


class SignatureInvalid(StatsError):
    code = "rollup_signature"

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(
            f"汇总文件 {name} 签名校验失败（HMAC-SM3）：文件被改动，或双方的 WENGANG_STATS_KEY 不一致；未导入任何数据",
            f"roll-up file {name} failed its HMAC-SM3 signature check: the file was altered or "
            f"the two deployments' WENGANG_STATS_KEY differ; nothing was imported")


class RollupOverlaps(StatsError):
    code = "rollup_overlaps"

    def __init__(self, name: str, region_code: str) -> None:
        self.name, self.region_code = name, region_code
        super().__init__(
            f"汇总文件 {name} 的区划 {region_code} 已由本系统自有数据统计，导入会重复计数；未导入",
            f"roll-up file {name} covers region {region_code}, which this deployment already "
            f"counts from its own cases: importing would count it twice; nothing was imported")


class ReportInvalid(StatsError):
    code = "report_invalid"
