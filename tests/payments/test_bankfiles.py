"""Bank file formats on literal data: what we write passes our checks, what breaks a rule is
caught, and return files parse into paid/failed rows with the totals they declare."""

import xml.etree.ElementTree as ET
from datetime import date, datetime

import pytest

from wengang.core.clock import CHINA
from wengang.payments import bankfiles
from wengang.payments.bankfiles import Transfer, TransferFile


def transfers(*amounts: int) -> tuple[Transfer, ...]:
    return tuple(Transfer(sequence=i, end_to_end_id=f"WG00000001{i:07d}", amount_fen=fen,
                          payee_name=f"单位{i} & <分公司>", payee_account=f"62220000{i:08d}",
                          payee_bank="中国银行" if i % 2 else "", remittance="稳岗返还")
                 for i, fen in enumerate(amounts, start=1))


def a_file(*amounts: int) -> TransferFile:
    return TransferFile(message_id="WG-360100-00000001",
                        created_at=datetime(2020, 5, 11, 9, 30, tzinfo=CHINA),
                        execution_date=date(2020, 5, 11), initiator="南昌市社保局",
                        debtor_name="南昌市社保局", debtor_account="3605010000", debtor_bank="建行",
                        transfers=transfers(*amounts))


def test_pain001_is_well_formed_with_control_sums_and_passes_our_checks():
    data = bankfiles.write_pain001(a_file(100, 250_050, 1))
    ns = {"p": bankfiles.PAIN001_NS}
    root = ET.fromstring(data)
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs", namespaces=ns) == "3"
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", namespaces=ns) == "2501.51"
    assert root.findtext(".//p:PmtInf/p:CtrlSum", namespaces=ns) == "2501.51"
    names = [e.text for e in root.iterfind(".//p:Cdtr/p:Nm", ns)]
    assert names[0] == "单位1 & <分公司>"  # escaped in the file, intact when read
    assert {e.get("Ccy") for e in root.iterfind(".//p:InstdAmt", ns)} == {"CNY"}
    assert bankfiles.check_pain001(data) == []


def test_the_same_batch_gives_the_same_bytes():
    assert bankfiles.write_pain001(a_file(1, 2)) == bankfiles.write_pain001(a_file(1, 2))
    assert bankfiles.write_csv(a_file(1, 2)) == bankfiles.write_csv(a_file(1, 2))


@pytest.mark.parametrize("change, problem", [
    (("<CtrlSum>2501.51</CtrlSum><InitgPty>", "<CtrlSum>2501.52</CtrlSum><InitgPty>"), "GrpHdr CtrlSum"),
    (("<NbOfTxs>3</NbOfTxs><CtrlSum>2501.51</CtrlSum><ReqdExctnDt>",
      "<NbOfTxs>2</NbOfTxs><CtrlSum>2501.51</CtrlSum><ReqdExctnDt>"), "PmtInf NbOfTxs"),
    (("WG000000010000002", "WG000000010000001"), "duplicate EndToEndId"),
    (('Ccy="CNY">1.00', 'Ccy="USD">1.00'), "currency must be CNY"),
    (("</Document>", ""), "not well-formed"),
    (("<EndToEndId>WG000000010000002</EndToEndId>", "<EndToEndId></EndToEndId>"),
     "bad EndToEndId"),
    (('<InstdAmt Ccy="CNY">2500.50</InstdAmt>', '<InstdAmt Ccy="CNY">2500.5</InstdAmt>'),
     "bad amount"),
    (("<Cdtr><Nm>单位2 &amp; &lt;分公司&gt;</Nm></Cdtr>", "<Cdtr><Nm> </Nm></Cdtr>"),
     "payee name missing"),
    (("<Id>6222000000000003</Id>", "<Id></Id>"), "payee account missing"),
    (("<CdtrAcct><Id><Othr><Id>6222000000000001</Id></Othr></Id></CdtrAcct>", ""),
     "payee account missing"),
])
def test_pain001_checks_catch_each_broken_rule(change, problem):
    data = bankfiles.write_pain001(a_file(100, 250_050, 1)).decode()
    assert change[0] in data
    broken = data.replace(change[0], change[1], 1).encode()
    assert any(problem in p for p in bankfiles.check_pain001(broken))


def test_a_truncated_pain001_is_not_well_formed():
    data = bankfiles.write_pain001(a_file(100, 200))
    assert "not well-formed" in bankfiles.check_pain001(data[: len(data) // 2])[0]


def test_csv_has_one_row_per_transfer_and_checks_its_totals():
    data = bankfiles.write_csv(a_file(100, 250_050))
    lines = data.decode().splitlines()
    assert lines[0] == ",".join(bankfiles.CSV_HEADER)
    assert lines[2].endswith(",2500.50,CNY,稳岗返还")
    assert bankfiles.check_csv(data, count=2, total_fen=250_150) == []
    assert bankfiles.check_csv(data, count=2, total_fen=250_151)  # one fen off
    assert bankfiles.check_csv(data, count=3, total_fen=250_150)


def pain002(rows: str, count: int = 2, total: str = "3.00", msg: str = "WG-360100-00000001") -> bytes:
    return (f'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10">'
            f"<CstmrPmtStsRpt><GrpHdr><MsgId>R1</MsgId></GrpHdr><OrgnlGrpInfAndSts>"
            f"<OrgnlMsgId>{msg}</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId>"
            f"<OrgnlNbOfTxs>{count}</OrgnlNbOfTxs><OrgnlCtrlSum>{total}</OrgnlCtrlSum>"
            f"</OrgnlGrpInfAndSts><OrgnlPmtInfAndSts>{rows}</OrgnlPmtInfAndSts>"
            f"</CstmrPmtStsRpt></Document>").encode()


def tx(e2e: str, status: str, amount: str, code: str = "", info: str = "") -> str:
    reason = (f"<StsRsnInf><Rsn><Cd>{code}</Cd></Rsn><AddtlInf>{info}</AddtlInf></StsRsnInf>"
              if code else "")
    return (f"<TxInfAndSts><OrgnlEndToEndId>{e2e}</OrgnlEndToEndId><TxSts>{status}</TxSts>"
            f'{reason}<OrgnlTxRef><Amt><InstdAmt Ccy="CNY">{amount}</InstdAmt></Amt></OrgnlTxRef>'
            "</TxInfAndSts>")


def test_pain002_gives_paid_and_failed_rows_and_the_original_totals():
    data = pain002(tx("A", "ACSC", "1.00") + tx("B", "RJCT", "2.00", "AC04", "账户已销户"))
    statement = bankfiles.read_return(data)
    assert statement.format == "pain.002" and statement.problems == []
    assert statement.batch_totals == [("WG-360100-00000001", 2, 300)]
    assert [(r.end_to_end_id, r.amount_fen, r.paid, r.reason_code, r.reason)
            for r in statement.rows] == [("A", 100, True, "", ""), ("B", 200, False, "AC04", "账户已销户")]


@pytest.mark.parametrize("body, problem", [
    (tx("A", "PDNG", "1.00"), "not final"),
    (tx("A", "RJCT", "1.00"), "rejection without a reason"),
    (tx("A", "ACSC", "1.001"), "bad amount"),
])
def test_pain002_rows_that_cannot_be_applied_are_problems(body, problem):
    assert any(problem in p for p in bankfiles.read_return(pain002(body)).problems)


def camt054(entries: str, count: int, total: str) -> bytes:
    return (f'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"><BkToCstmrDbtCdtNtfctn>'
            f"<GrpHdr><MsgId>N1</MsgId></GrpHdr><Ntfctn><Id>N1</Id><TxsSummry><TtlNtries>"
            f"<NbOfNtries>{count}</NbOfNtries><Sum>{total}</Sum></TtlNtries></TxsSummry>"
            f"<Ntry><NtryDtls>{entries}</NtryDtls></Ntry></Ntfctn></BkToCstmrDbtCdtNtfctn></Document>"
            ).encode()


def detail(e2e: str, amount: str, returned: str = "") -> str:
    back = (f"<RtrInf><Rsn><Cd>AC01</Cd></Rsn><AddtlInf>{returned}</AddtlInf></RtrInf>"
            if returned else "")
    return (f"<TxDtls><Refs><MsgId>WG-1</MsgId><EndToEndId>{e2e}</EndToEndId></Refs>"
            f'<Amt Ccy="CNY">{amount}</Amt>{back}</TxDtls>')


def test_camt054_entries_are_paid_unless_returned_and_totals_must_match():
    good = bankfiles.read_return(camt054(detail("A", "1.00") + detail("B", "2.50", "账号错误"),
                                         2, "3.50"))
    assert good.problems == []
    assert [(r.end_to_end_id, r.paid, r.reason, r.message_id) for r in good.rows] == [
        ("A", True, "", "WG-1"), ("B", False, "账号错误", "WG-1")]
    wrong_sum = bankfiles.read_return(camt054(detail("A", "1.00"), 1, "1.01"))
    assert any("declared totals" in p for p in wrong_sum.problems)
    wrong_count = bankfiles.read_return(camt054(detail("A", "1.00"), 2, "1.00"))
    assert any("declared totals" in p for p in wrong_count.problems)


def test_return_csv_rows_and_their_problems():
    data = ("message_id,end_to_end_id,amount,status,reason_code,reason\n"
            "WG-1,A,1.00,paid,,\nWG-1,B,2.00,failed,AC04,账户已销户\n"
            "WG-1,C,x,paid,,\nWG-1,D,1.00,failed,,\nWG-1,E,1.00,unknown,,\n").encode()
    statement = bankfiles.read_return(data)
    assert [(r.end_to_end_id, r.paid) for r in statement.rows] == [("A", True), ("B", False)]
    assert len(statement.problems) == 3


def test_an_unknown_xml_message_and_a_truncated_one_are_problems():
    assert "unsupported" in bankfiles.read_return(b'<Document xmlns="x"/>').problems[0]
    data = pain002(tx("A", "ACSC", "1.00"), count=1, total="1.00")
    assert "not well-formed" in bankfiles.read_return(data[:-30]).problems[0]
