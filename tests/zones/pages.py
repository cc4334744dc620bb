"""Reading the public list's page as a visitor sees it: one case's row, cell by cell."""

import re

from django.urls import reverse


def row(page: str, case_id: int) -> str:
    """The public list's row of a case (the one whose objection link names it)."""
    link = reverse("web:public-objection", kwargs={"pk": case_id})
    found = re.search(rf'<tr>(?:(?!<tr>).)*?href="{re.escape(link)}".*?</tr>', page, re.DOTALL)
    return found.group(0) if found else ""


def cells(page: str, case_id: int) -> list[str]:
    return [re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row(page, case_id), re.DOTALL)]
