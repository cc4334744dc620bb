"""Errors of the policy package.

    PolicyError (a CoreError: zh + en message, stable ``code``)
    ├── PolicyFileError        a policy file that cannot be loaded: names file, line and problem
    ├── ExpressionNotAllowed   an expression outside the allow-list (could run arbitrary SQL)
    ├── UnknownProgram         a program id with no policy file
    ├── UnknownParameter       ``--set`` or an override names a parameter the program lacks
    ├── ParameterNotInForce    no value of a parameter is in force on the date asked
    └── OverrideNotAllowed     a value outside its choices, or above a national ceiling
"""

from wengang.core.errors import CoreError


class PolicyError(CoreError):
    code = "policy"


class PolicyFileError(PolicyError):
    code = "policy_file"

    def __init__(self, path: str, line: int | None, zh: str, en: str) -> None:
        self.path = path
        self.line = line
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}：{zh}", f"{where}: {en}")


class ExpressionNotAllowed(PolicyError):
    code = "expression_not_allowed"


class UnknownProgram(PolicyError):
    code = "unknown_program"


class UnknownParameter(PolicyError):
    code = "unknown_parameter"


class ParameterNotInForce(PolicyError):
    code = "parameter_not_in_force"


class OverrideNotAllowed(PolicyError):
    code = "override_not_allowed"
