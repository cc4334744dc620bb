"""The features a policy expression may use: the contract between policy files and screening.

Screening computes every feature below for every unit (``screening/features.py``); a policy file
that names anything else is rejected when it is loaded. Money is integer fen, rates are fractions.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Feature:
    name: str
    kind: str  # text, bool, int, fen, fraction, number, date
    zh: str
    en: str


FEATURES: dict[str, Feature] = {f.name: f for f in (
    Feature("unit_type", "text", "单位类型", "unit type"),
    Feature("industry_code", "text", "行业代码（GB/T 4754-2017）", "industry code (GB/T 4754-2017)"),
    Feature("industry_division", "text", "行业大类（两位）", "industry division (2 digits)"),
    Feature("region_code", "text", "行政区划代码", "region code"),
    Feature("is_labour_dispatch", "bool", "劳务派遣单位", "labour-dispatch firm"),
    Feature("has_account", "bool", "有收款账户（银行账户或社保缴费账户）",
            "has a receiving account (bank or social-insurance account)"),
    Feature("months_paid_in_full", "int", "考核年度足额缴费月数", "months of Y paid in full"),
    Feature("arrears_months", "int", "截至筛查日欠费月数", "months in arrears up to the screening date"),
    Feature("baseline_insured", "int", "上年末参保人数（基数）", "baseline insured headcount"),
    Feature("year_end_insured", "int", "考核年度末参保人数", "insured headcount at the end of Y"),
    Feature("mean_insured", "number", "考核年度月均参保人数", "mean monthly insured headcount in Y"),
    Feature("premium_base_fen", "fen", "考核年度实缴失业保险费", "UI premiums actually paid for Y"),
    Feature("due_total_fen", "fen", "考核年度应缴失业保险费", "UI premiums payable for Y"),
    Feature("layoff_rate_net_headcount", "fraction", "裁员率（参保人数净减少）",
            "layoff rate (net headcount decrease)"),
    Feature("layoff_rate_layoff_separations", "fraction", "裁员率（裁员离职人数）",
            "layoff rate (layoff separations)"),
    Feature("layoff_rate_benefit_claimants", "fraction", "裁员率（领取失业保险金人数）",
            "layoff rate (benefit claimants)"),
    Feature("size", "text", "企业规模", "enterprise size"),
    Feature("revenue_10k", "number", "营业收入（万元）", "revenue (10k yuan)"),
    Feature("total_assets_10k", "number", "资产总额（万元）", "total assets (10k yuan)"),
    Feature("credit_listed", "bool", "列入严重失信名单", "on the serious-dishonesty list"),
    Feature("environment_major_penalty", "bool", "受到重大环境行政处罚", "major environmental penalty"),
    Feature("registry_status", "text", "登记状态", "registration status"),
    Feature("is_abnormal", "bool", "列入经营异常名录", "on the abnormal-operation list"),
    Feature("difficulty_certified", "bool", "持有有效困难企业认定", "holds a valid difficulty certificate"),
)}

# Context values every expression may name besides features and parameters.
CONTEXT_NAMES = ("assessment_year", "refund_year", "as_of")
