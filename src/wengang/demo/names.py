"""Names that look real: people, units, phone numbers and bank accounts, a column at a time.

Strings are built in Polars (gather from small word lists, then concatenate), never as Python
or numpy strings per unit: a million names take about a second.
"""

import numpy as np
import polars as pl

from . import vocab
from .identifiers import digit_points, join_points

Part = str | pl.Series


def choose(rng: np.random.Generator, options, count: int, weights=None) -> pl.Series:
    """Draw ``count`` strings from ``options`` (uniformly, or with the given weights)."""
    if weights is not None:
        weights = np.asarray(weights, dtype=np.float64)
        weights = weights / weights.sum()
    index = rng.choice(len(options), size=count, p=weights)
    return pl.Series(list(options), dtype=pl.String).gather(index)


def concat(*parts: Part) -> pl.Series:
    """Concatenate string literals and string Series element-wise."""
    return pl.select(pl.concat_str([pl.lit(part) for part in parts]).alias("text")).to_series()


def where(mask: np.ndarray, then: Part, otherwise: Part) -> pl.Series:
    """``then`` where ``mask`` holds, else ``otherwise`` (literals or Series)."""
    return pl.select(pl.when(pl.lit(pl.Series(mask))).then(pl.lit(then))
                     .otherwise(pl.lit(otherwise)).alias("text")).to_series()


def words_by_code(rng: np.random.Generator, industry: np.ndarray, table: dict,
                  default: tuple[str, ...]) -> pl.Series:
    """For each unit (``industry``: indexes into ``vocab.INDUSTRIES``), one of the words
    ``table`` lists for its division code."""
    distinct, inverse = np.unique(industry, return_inverse=True)
    lists = [table.get(vocab.INDUSTRIES[i].code, default) for i in distinct]
    sizes = np.array([len(words) for words in lists])
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    flat = pl.Series([word for words in lists for word in words], dtype=pl.String)
    index = offsets[inverse] + (rng.random(len(industry)) * sizes[inverse]).astype(np.int64)
    return flat.gather(index)


def person_names(rng: np.random.Generator, male: np.ndarray) -> pl.Series:
    """Chinese full names: a common surname and one or two given-name characters."""
    count = len(male)
    surname = choose(rng, vocab.SURNAMES, count, 0.94 ** np.arange(len(vocab.SURNAMES)))
    given = [where(male, choose(rng, vocab.GIVEN_MALE, count),
                   choose(rng, vocab.GIVEN_FEMALE, count)) for _ in range(2)]
    return concat(surname, given[0], where(rng.random(count) < 0.7, given[1], ""))


def mobile_numbers(rng: np.random.Generator, count: int) -> pl.Series:
    """11-digit mainland mobile numbers with real carrier prefixes."""
    prefix = np.asarray(vocab.MOBILE_PREFIXES, dtype=np.int64)[
        rng.integers(0, len(vocab.MOBILE_PREFIXES), size=count)]
    return join_points(digit_points(prefix * 100_000_000
                                    + rng.integers(0, 100_000_000, size=count), 11))


def trade_names(rng: np.random.Generator, count: int) -> pl.Series:
    """Two-character trade names (字号): a pair of auspicious characters or a local place word."""
    pairs = concat(choose(rng, vocab.TRADE_CHARS, count), choose(rng, vocab.TRADE_CHARS, count))
    return where(rng.random(count) < 0.12, choose(rng, vocab.TRADE_WORDS, count), pairs)


def unit_names(rng: np.random.Generator, *, unit_type: np.ndarray, industry: np.ndarray,
               district: np.ndarray, district_names: list[str], city: str, province: str,
               province_short: str, headcount: np.ndarray,
               labour_dispatch: np.ndarray) -> pl.Series:
    """A name for every unit, following the naming habits of its unit type.

    ``unit_type`` holds type names, ``industry`` indexes into ``vocab.INDUSTRIES``,
    ``district`` indexes into ``district_names`` (东湖区, 南昌县 …); ``province`` is the
    province's name (江西省) and ``province_short`` its short form (江西).
    """
    count = len(unit_type)
    short = city.removesuffix("市")
    # "南昌市东湖区" for districts, "进贤县" for counties (a county name stands alone).
    places = [name if name.endswith("县") else city + name for name in district_names]
    place = pl.Series(places, dtype=pl.String).gather(district)
    trade = trade_names(rng, count)
    names = pl.Series("name", [""] * count, dtype=pl.String)
    makers = {
        "enterprise": lambda m, s, n: _enterprise_names(
            rng, trade.filter(s), industry[m], place.filter(s), short, city, province,
            province_short, headcount[m], labour_dispatch[m]),
        "individual_business": lambda m, s, n: concat(
            place.filter(s),
            where(rng.random(n) < 0.5, _shop_owners(rng, n),
                  choose(rng, vocab.SHOP_TRADE_NAMES, n)),
            words_by_code(rng, industry[m], vocab.SHOP_WORDS, ("商行",))),
        "social_org": lambda m, s, n: concat(
            where(rng.random(n) < 0.6, city, place.filter(s)),
            where(rng.random(n) < 0.25,
                  concat(choose(rng, vocab.CHAMBER_ORIGINS, n), "商会"),
                  choose(rng, vocab.SOCIAL_ORG_TOPICS, n))),
        "foundation": lambda m, s, n: concat(
            where(rng.random(n) < 0.5, province, city), trade.filter(s),
            choose(rng, vocab.FOUNDATION_KINDS, n)),
        "social_service": lambda m, s, n: concat(
            place.filter(s), trade.filter(s),
            words_by_code(rng, industry[m], vocab.SOCIAL_SERVICE_KINDS, ("服务中心",))),
        "law_firm": lambda m, s, n: _law_firm_names(rng, trade.filter(s), short, province_short),
        "accounting_firm": lambda m, s, n: concat(
            province_short, trade.filter(s),
            choose(rng, ["会计师事务所有限责任公司", "会计师事务所（普通合伙）",
                         "会计师事务所（特殊普通合伙）"], n, [0.6, 0.3, 0.1])),
        "government": lambda m, s, n: _government_names(rng, place.filter(s), city),
        "public_institution": lambda m, s, n: _institution_names(rng, industry[m],
                                                              place.filter(s)),
    }
    for kind, make in makers.items():
        mask = unit_type == kind
        if mask.any():
            names = names.scatter(np.flatnonzero(mask),
                                   make(mask, pl.Series(mask), int(mask.sum())))
    return names


def _enterprise_names(rng, trade, industry, place, short, city, province, province_short,
                      headcount, dispatch):
    count = len(trade)
    words = {i.code: i.words for i in vocab.INDUSTRIES}
    word = where(dispatch, choose(rng, vocab.LABOUR_DISPATCH_WORDS, count),
                 words_by_code(rng, industry, words, ("实业",)))
    pattern = rng.choice(8, size=count, p=[.25, .35, .12, .05, .08, .03, .07, .05])
    pattern = np.where((pattern == 5) & (headcount < 100), 0, pattern)
    heads = pl.Series([province_short, short, city, "", "", province_short, "", province],
                      dtype=pl.String)
    tails = pl.Series(["有限公司", "有限公司", "有限公司", f"（{short}）有限公司", "有限公司",
                       "股份有限公司", f"有限公司{short}分公司", "有限责任公司"], dtype=pl.String)
    head = heads.gather(pattern)
    head = where(pattern == 4, place, where(pattern == 6,
                                            choose(rng, vocab.PROVINCES_ELSEWHERE, count), head))
    return concat(head, trade, word, tails.gather(pattern))


def _shop_owners(rng, count):
    """老刘, 张记, 小王, 陈氏: shop names after the owner's surname."""
    surname = choose(rng, vocab.SURNAMES[:30], count)
    pattern = rng.integers(0, 4, size=count)
    before = pl.Series(["老", "", "小", ""], dtype=pl.String).gather(pattern)
    after = pl.Series(["", "记", "", "氏"], dtype=pl.String).gather(pattern)
    return concat(before, surname, after)


def _law_firm_names(rng, trade, short, province_short):
    count = len(trade)
    elsewhere = rng.random(count) < 0.2
    return concat(where(elsewhere, choose(rng, vocab.PROVINCES_ELSEWHERE, count), province_short),
                  trade,
                  where(elsewhere, f"（{short}）律师事务所", "律师事务所"))


def _government_names(rng, place, city):
    count = len(place)
    kind = rng.random(count)
    town = choose(rng, vocab.TOWN_WORDS, count)
    body = concat(where(kind < 0.25, city, place), choose(rng, vocab.GOVERNMENT_BODIES, count))
    return where(kind < 0.8, body, concat(town, where(kind < 0.9, "镇人民政府", "街道办事处")))


def _institution_names(rng, industry, place):
    count = len(industry)
    template = words_by_code(rng, industry, vocab.PUBLIC_INSTITUTIONS, ("事务中心",))
    frame = pl.DataFrame({
        "template": template,
        "n": choose(rng, vocab.CHINESE_NUMBERS, count),
        "t": choose(rng, vocab.TOWN_WORDS, count),
    })
    text = frame.select(pl.col("template").str.replace("{n}", pl.col("n"), literal=True)
                        .str.replace("{t}", pl.col("t"), literal=True)).to_series()
    return concat(place, text)


def bank_accounts(rng: np.random.Generator, count: int, *, city: str,
                  branch_words: pl.Series) -> tuple[pl.Series, pl.Series, np.ndarray]:
    """Bank names (bank + city + branch) and digit-only account numbers of each bank's length.

    Returns names, accounts and the bank index of each (for a second account at the same bank).
    """
    short = city.removesuffix("市")
    bank = rng.choice(len(vocab.BANKS), size=count,
                      p=np.asarray(vocab.BANK_WEIGHTS) / sum(vocab.BANK_WEIGHTS))
    bank_words = pl.Series([name for name, _, _ in vocab.BANKS], dtype=pl.String).gather(bank)
    names = concat(bank_words, short, branch_words, vocab.BANK_BRANCH_SUFFIX)
    return names, account_numbers(rng, bank), bank


def account_numbers(rng: np.random.Generator, bank: np.ndarray) -> pl.Series:
    """Account numbers in the format of each unit's bank: its prefix, then random digits."""
    accounts = pl.Series([""] * len(bank), dtype=pl.String)
    for index, (_, prefix, length) in enumerate(vocab.BANKS):
        rows = np.flatnonzero(bank == index)
        if len(rows) == 0:
            continue
        points = np.empty((len(rows), length), dtype=np.uint8)
        points[:, :len(prefix)] = np.frombuffer(prefix.encode(), dtype=np.uint8)
        points[:, len(prefix):] = rng.integers(ord("0"), ord("9") + 1,
                                               size=(len(rows), length - len(prefix)))
        accounts = accounts.scatter(rows, join_points(points))
    return accounts
