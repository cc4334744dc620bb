"""``wengang cases …``: run each step of the case workflow from the command line."""

import click


@click.group()
def cases() -> None:
    """Cases and workflow (返还案件). 案件办理。"""
