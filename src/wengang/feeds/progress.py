"""Progress on the console for the long steps of an import (nothing when no console is given)."""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Self


class Steps:
    """A rich progress display with one line per step; the bar follows DuckDB's own progress."""

    def __init__(self, console=None, *, probe: Callable[[], float] | None = None) -> None:
        self._console = console
        self._probe = probe
        self._progress = None

    def __enter__(self) -> Self:
        if self._console is not None:
            from rich.progress import (
                BarColumn,
                Progress,
                SpinnerColumn,
                TaskProgressColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            self._progress = Progress(SpinnerColumn(), TextColumn("{task.description}"),
                                      BarColumn(), TaskProgressColumn(), TimeElapsedColumn(),
                                      console=self._console)
            self._progress.__enter__()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc_info)
            self._progress = None

    @contextmanager
    def step(self, description: str) -> Iterator[None]:
        """Show ``description`` while the block runs, then mark it done."""
        progress = self._progress
        if progress is None:
            yield
            return
        task = progress.add_task(description, total=100)
        stop = threading.Event()

        def follow() -> None:
            while not stop.wait(0.2):
                percent = self._probe() if self._probe else -1.0
                if percent >= 0:
                    progress.update(task, completed=min(99.0, percent))

        watcher = threading.Thread(target=follow, daemon=True)
        watcher.start()
        try:
            yield
        finally:
            stop.set()
            watcher.join()
            progress.update(task, completed=100)
