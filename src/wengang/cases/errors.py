"""Errors of cases and workflow, each with a stable ``code`` and a message in Chinese and English.

Callers catch narrowly or broadly; views map ``code`` to an HTTP status, the CLI prints the
message. ``str()`` gives the Chinese message, then the English one::

    CaseError
    ├── NotAllowed                 the actor may not do this
    │   ├── WrongRole              role (or department) does not allow the action
    │   ├── OutsideRegion          the case lies outside the actor's region
    │   └── NotOwnUnit             an enterprise acting for another unit
    ├── IllegalTransition          the case's state does not allow the action
    ├── ConcurrentChange           someone else changed the case first (reload and retry)
    ├── PreconditionFailed         the state allows it, a fact does not
    │   ├── ReasonRequired
    │   ├── ApplicationExpired
    │   ├── FactsChanged           the confirmed facts differ from the case (a re-screen changed it)
    │   │   └── LetterChanged      the commitment letter in force is not the one shown
    │   ├── AccountRequired
    │   ├── AccountInvalid         an account number that is not 6–40 digits
    │   ├── AccountFrozen          the case is approved: its account changes only by the
    │   │                          account-change procedure of payments
    │   ├── ConfirmationIneligible the facts an enterprise confirms make it ineligible
    │   ├── ReviewPending          departments have not all agreed yet
    │   ├── TaskAlreadyDecided
    │   ├── NotInBatch             an objection names a case outside the review batch
    │   ├── PublicityRunning       the publicity period has not ended
    │   ├── PublicityNotRunning    objections are taken only during the period
    │   ├── ObjectionAlreadyResolved
    │   ├── LateClaimWindowClosed
    │   ├── CaseAlreadyExists      a late claim for a unit that already has a live case
    │   └── NothingToDo            no case is ready for the requested step
    ├── LoadError                  a screening result cannot be loaded
    │   ├── RunRecordError         the run record is missing or malformed
    │   ├── ResultError            the result file is missing, altered or malformed
    │   ├── InputsChanged          the units feed is not the one screened
    │   └── StaleRun               a newer run of the same programs is already loaded
    ├── FieldKeyError              the account-number key is missing, wrong, or a sealed
    │                              number was altered or moved to another unit
    ├── StateChangeOutsideWorkflow a programming error: ``Case.save`` with a new state
    └── AppendOnly                 a programming error: changing or deleting a case event
"""

from enum import StrEnum


class ErrorCode(StrEnum):
    WRONG_ROLE = "wrong_role"
    OUTSIDE_REGION = "outside_region"
    NOT_OWN_UNIT = "not_own_unit"
    ILLEGAL_TRANSITION = "illegal_transition"
    CONFLICT = "conflict"
    REASON_REQUIRED = "reason_required"
    APPLICATION_EXPIRED = "application_expired"
    FACTS_CHANGED = "facts_changed"
    ACCOUNT_REQUIRED = "account_required"
    ACCOUNT_INVALID = "account_invalid"
    ACCOUNT_FROZEN = "account_frozen"
    CONFIRMATION_INELIGIBLE = "confirmation_ineligible"
    FIELD_KEY = "field_key"
    REVIEW_PENDING = "review_pending"
    TASK_DECIDED = "task_decided"
    NOT_IN_BATCH = "not_in_batch"
    PUBLICITY_RUNNING = "publicity_running"
    PUBLICITY_NOT_RUNNING = "publicity_not_running"
    OBJECTION_RESOLVED = "objection_resolved"
    LATE_CLAIM_CLOSED = "late_claim_closed"
    CASE_EXISTS = "case_exists"
    NOTHING_TO_DO = "nothing_to_do"
    RUN_RECORD = "run_record"
    RESULT = "result"
    INPUTS_CHANGED = "inputs_changed"
    STALE_RUN = "stale_run"
    STATE_OUTSIDE_WORKFLOW = "state_outside_workflow"
    APPEND_ONLY = "append_only"


class CaseError(Exception):
    """Base of every cases error."""

    code: ErrorCode = ErrorCode.ILLEGAL_TRANSITION

    def __init__(self, zh: str, en: str) -> None:
        self.zh = zh
        self.en = en
        super().__init__(f"{zh} / {en}")


# --- who may act ---------------------------------------------------------------------------

class NotAllowed(CaseError):
    pass


class WrongRole(NotAllowed):
    code = ErrorCode.WRONG_ROLE

    def __init__(self, action: str, role: str, allowed: tuple[str, ...]) -> None:
        self.action, self.role, self.allowed = action, role, allowed
        super().__init__(f"角色“{role}”不能办理“{action}”（可办理的角色：{'、'.join(allowed)}）",
                         f"role {role} may not {action} (allowed: {', '.join(allowed)})")


class OutsideRegion(NotAllowed):
    code = ErrorCode.OUTSIDE_REGION

    def __init__(self, actor_region: str, region_code: str) -> None:
        self.actor_region, self.region_code = actor_region, region_code
        mine = actor_region or "未设置"
        super().__init__(f"该事项属于行政区划 {region_code}，不在您的管辖范围（{mine}）内",
                         f"region {region_code} is outside your region ({actor_region or 'none set'})")


class NotOwnUnit(NotAllowed):
    code = ErrorCode.NOT_OWN_UNIT

    def __init__(self, uscc: str) -> None:
        self.uscc = uscc
        super().__init__(f"只能办理本单位的事项（该案件属于 {uscc}）",
                         f"an enterprise acts only for its own unit (this case belongs to {uscc})")


# --- states --------------------------------------------------------------------------------

class IllegalTransition(CaseError):
    code = ErrorCode.ILLEGAL_TRANSITION

    def __init__(self, case_id: int, action: str, state: str, allowed: tuple[str, ...]) -> None:
        self.case_id, self.action, self.state, self.allowed = case_id, action, state, allowed
        super().__init__(
            f"案件 {case_id} 当前状态为“{state}”，不能办理“{action}”"
            f"（仅限状态：{'、'.join(allowed) or '无'}）",
            f"case {case_id} is {state}; {action} needs one of: {', '.join(allowed) or 'none'}")


class ConcurrentChange(CaseError):
    code = ErrorCode.CONFLICT

    def __init__(self, case_id: int, state: str = "") -> None:
        self.case_id, self.state = case_id, state
        now_zh, now_en = (f"（当前状态：{state}）", f" (now {state})") if state else ("", "")
        super().__init__(f"案件 {case_id} 已被他人处理{now_zh}，请刷新后重试",
                         f"case {case_id} was changed by someone else{now_en}; "
                         "reload and try again")


# --- preconditions -------------------------------------------------------------------------

class PreconditionFailed(CaseError):
    pass


class ReasonRequired(PreconditionFailed):
    code = ErrorCode.REASON_REQUIRED

    def __init__(self, action: str) -> None:
        super().__init__(f"办理“{action}”须填写理由", f"{action} needs a reason")


class ApplicationExpired(PreconditionFailed):
    code = ErrorCode.APPLICATION_EXPIRED

    def __init__(self, case_id: int, apply_by) -> None:
        self.case_id, self.apply_by = case_id, apply_by
        super().__init__(f"案件 {case_id} 的申请截止日 {apply_by} 已过；可在补报期内申请补报",
                         f"the application deadline of case {case_id} ({apply_by}) has passed; "
                         "a late claim is possible within the window")


class FactsChanged(PreconditionFailed):
    code = ErrorCode.FACTS_CHANGED

    def __init__(self, case_id: int, field: str, confirmed, current) -> None:
        self.case_id, self.field, self.confirmed, self.current = case_id, field, confirmed, current
        super().__init__(f"案件 {case_id} 的{field}已更新为 {current}（确认的是 {confirmed}），请重新确认",
                         f"case {case_id}: {field} is now {current}, not the confirmed {confirmed}; "
                         "confirm again")


class LetterChanged(FactsChanged):
    """The commitment letter in force is not the one the enterprise was shown."""

    def __init__(self, case_id: int, version: str) -> None:
        self.case_id, self.version = case_id, version
        PreconditionFailed.__init__(
            self, f"案件 {case_id} 的承诺书已更新为 {version} 版，请阅读新的承诺书后重新确认",
            f"case {case_id}: the commitment letter is now version {version}, not the one shown; "
            "read it and confirm again")


class AccountRequired(PreconditionFailed):
    code = ErrorCode.ACCOUNT_REQUIRED

    def __init__(self, case_id: int) -> None:
        super().__init__(f"案件 {case_id} 没有收款账户，请填写银行账号",
                         f"case {case_id} has no receiving account on record: give one")


class AccountInvalid(PreconditionFailed):
    code = ErrorCode.ACCOUNT_INVALID

    def __init__(self, masked: str) -> None:
        super().__init__(f"收款账号 {masked} 不正确：应为 6 至 40 位数字",
                         f"receiving account {masked} is not 6 to 40 digits")


class AccountFrozen(PreconditionFailed):
    code = ErrorCode.ACCOUNT_FROZEN

    def __init__(self, case_id: int, state: str) -> None:
        self.case_id = case_id
        super().__init__(f"案件 {case_id} 已审核通过（{state}），收款账户已锁定；"
                         "如需变更，请走账户变更流程（拨付模块）",
                         f"case {case_id} is approved ({state}): its receiving account is "
                         "frozen; change it through the account-change procedure of payments")


class ConfirmationIneligible(PreconditionFailed):
    code = ErrorCode.CONFIRMATION_INELIGIBLE

    def __init__(self, case_id: int, facts: str, failed: str, explanation: str) -> None:
        self.case_id, self.failed, self.explanation = case_id, failed, explanation
        super().__init__(f"案件 {case_id} 按确认的信息（{facts}）不符合条件（{failed}）：{explanation}；"
                         "如信息无误，请联系经办机构核实",
                         f"case {case_id} is not eligible with the confirmed facts ({facts}; "
                         f"failed: {failed}); nothing was changed — if the facts are right, "
                         "contact the agency")


class ReviewPending(PreconditionFailed):
    code = ErrorCode.REVIEW_PENDING

    def __init__(self, case_id: int, departments: list[str]) -> None:
        self.case_id, self.departments = case_id, departments
        super().__init__(f"案件 {case_id} 尚有部门未同意：{'、'.join(departments)}",
                         f"case {case_id} still lacks the agreement of: {', '.join(departments)}")


class TaskAlreadyDecided(PreconditionFailed):
    code = ErrorCode.TASK_DECIDED

    def __init__(self, task_id: int, status: str) -> None:
        super().__init__(f"联审任务 {task_id} 已办理（{status}）",
                         f"review task {task_id} is already decided ({status})")


class NotInBatch(PreconditionFailed):
    code = ErrorCode.NOT_IN_BATCH

    def __init__(self, batch_id: int, case_ids: list[int]) -> None:
        self.batch_id, self.case_ids = batch_id, case_ids
        ids = ", ".join(map(str, case_ids))
        super().__init__(f"案件 {ids} 不在联审批次 {batch_id} 中",
                         f"cases {ids} are not in review batch {batch_id}")


class PublicityRunning(PreconditionFailed):
    code = ErrorCode.PUBLICITY_RUNNING

    def __init__(self, batch_id: int, end_on) -> None:
        super().__init__(f"公示批次 {batch_id} 的公示期到 {end_on} 才结束",
                         f"publicity batch {batch_id} runs until {end_on}")


class PublicityNotRunning(PreconditionFailed):
    code = ErrorCode.PUBLICITY_NOT_RUNNING

    def __init__(self, case_id: int) -> None:
        super().__init__(f"案件 {case_id} 不在公示期内，不能受理公示异议",
                         f"case {case_id} is not in a running publicity period")


class ObjectionAlreadyResolved(PreconditionFailed):
    code = ErrorCode.OBJECTION_RESOLVED

    def __init__(self, objection_id: int, status: str) -> None:
        super().__init__(f"异议 {objection_id} 已处理（{status}）",
                         f"objection {objection_id} is already resolved ({status})")


class LateClaimWindowClosed(PreconditionFailed):
    code = ErrorCode.LATE_CLAIM_CLOSED

    def __init__(self, program: str, until) -> None:
        super().__init__(f"{program} 的补报期已于 {until} 结束",
                         f"the late-claim window of {program} closed on {until}")


class CaseAlreadyExists(PreconditionFailed):
    code = ErrorCode.CASE_EXISTS

    def __init__(self, case_id: int, state: str) -> None:
        super().__init__(f"该单位已有本项目的案件 {case_id}（{state}），无需补报",
                         f"the unit already has case {case_id} ({state}) for this program")


class NothingToDo(PreconditionFailed):
    code = ErrorCode.NOTHING_TO_DO

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(zh, en)


# --- loading a screening result ------------------------------------------------------------

class LoadError(CaseError):
    pass


class RunRecordError(LoadError):
    code = ErrorCode.RUN_RECORD


class ResultError(LoadError):
    code = ErrorCode.RESULT


class InputsChanged(LoadError):
    code = ErrorCode.INPUTS_CHANGED


class StaleRun(LoadError):
    code = ErrorCode.STALE_RUN


# --- account-number key -------------------------------------------------------------------

class FieldKeyError(CaseError):
    code = ErrorCode.FIELD_KEY


# --- programming errors --------------------------------------------------------------------

class StateChangeOutsideWorkflow(CaseError):
    code = ErrorCode.STATE_OUTSIDE_WORKFLOW

    def __init__(self, case_id: int, before: str, after: str) -> None:
        super().__init__(f"案件 {case_id} 的状态只能由办理流程修改（{before} → {after}）",
                         f"case {case_id}: states change only in cases.workflow ({before} → {after})")


class AppendOnly(CaseError):
    code = ErrorCode.APPEND_ONLY

    def __init__(self, operation: str, *, record: tuple[str, str] = ("案件事件", "case events")) -> None:
        zh, en = record
        super().__init__(f"{zh}只能追加，不能修改或删除（{operation}）",
                         f"{en} are append-only ({operation} refused)")
