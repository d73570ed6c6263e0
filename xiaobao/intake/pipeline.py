"""An import's rows, read and checked while the previous chunk is being written.

`import_complaints` spends about as long on each row in Python (reading the file, `parse`, the
registration service's checks and the case built in memory) as it waits for the database to
write it. On two cores the two can overlap: once the first chunk is written (so the reference
data the rows need has been read into `lib.memo` and the importer's `Lookups`), a forked process
goes on reading the file, parsing each row and preparing each new case (`Importer.prepare`),
and sends them in batches through a pipe, while this process numbers and writes the previous
chunk. The pipe holds a batch or two: the child waits for the writer, never the other way round
for long, and memory stays flat however long the file.

The child never uses the database: its copy of the connection is left alone (it ends with
`os._exit`, so not even a close goes out on it), and every statement it would run raises
`_DatabaseTouched` instead. Something that needs the database (a staff number not seen yet, a
calendar year not read yet …) makes the child stop and hand over: this process reads on from that
row itself, as it would without a child. Registry numbers are taken here, never in the child
(`registration_renumber`), in the order and with the refusals of the one-process path.

Model instances that both processes hold since the fork (units, taxonomy terms, staff, the actor)
go through the pipe as references to the object itself (`_shared_model`), not copies.
"""

from __future__ import annotations

import io
import multiprocessing
import pickle
import traceback
from collections.abc import Callable, Generator
from dataclasses import dataclass
from itertools import islice
from typing import Any

from django.db import connection
from django.db.models import Model

from xiaobao.complaints import services
from xiaobao.intake.reading import Table
from xiaobao.intake.results import Issue
from xiaobao.lib import memo
from xiaobao.lib.errors import DomainError

BATCH = 100  # rows per message: a few hundred kilobytes of pickles


@dataclass
class Item:
    """One row of the file as the import loop takes it: a footer (合计 …) to skip with its
    warning, or the parsed row (`importing.Row`; from the child with its prepared case or the
    registration service's refusal)."""

    sheet: str
    number: int
    footer: Issue | None = None
    row: Any = None


class _DatabaseTouched(Exception):
    """The child needed the database: hand the rest of the file back to the parent."""


def _forbid(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
    raise _DatabaseTouched(sql)


class Rows:
    """The file's rows as `Item`s: parsed here until `fork()` is called (after the first chunk
    was written), then parsed and prepared by a child process, ahead of the writer.

    `prepares(row)` says whether a row would be written through `Importer.prepare` (a new case on
    the batched path that passed parsing); those the child prepares too."""

    def __init__(
        self, importer: Any, table: Table, prepares: Callable[[Any], bool], *, pipeline: bool
    ) -> None:
        self.importer = importer
        self.table = table
        self.prepares = prepares
        self.pipeline = pipeline
        self.forking = False
        self.handed_over: int | None = None  # the row the child stopped at (for the tests)
        self.ahead = True  # whether the child prepares the cases too
        self._ahead_flag: Any = None  # shared with the child: `ahead` as it changes

    def prepare_ahead(self, on: bool) -> None:
        """Whether the child prepares cases ahead: not while the rows are mostly duplicates
        (a file imported again), whose cases the writer would only throw away."""
        self.ahead = on
        if self._ahead_flag is not None:
            self._ahead_flag.value = int(on)

    def fork(self) -> None:
        """Read ahead in a child from the next row on (if the pipeline is on and this process
        may have children: a daemonic worker process, as some pools start, may not)."""
        self.forking = self.pipeline and not multiprocessing.current_process().daemon

    def item(self, sheet: str, number: int, cells: list[Any], *, prepare: bool) -> Item:
        footer = self.importer.footer(sheet, number, cells)
        if footer is not None:
            return Item(sheet, number, footer=footer)
        row = self.importer.parse(number, cells, sheet)
        if prepare and self.prepares(row) and self.ahead:
            try:
                row.prepared = self.importer.prepare(row)
            except DomainError as exc:
                row.refusal = self.importer.issue_for(row, exc)
        return Item(sheet, number, row=row)

    def __iter__(self) -> Generator[Item, None, None]:
        consumed = 0
        for sheet, number, cells in self.table.rows():
            yield self.item(sheet, number, cells, prepare=False)
            consumed += 1
            if self.forking:
                break
        else:
            return
        resume = yield from self._from_child(consumed)
        if resume is None:
            return
        self.handed_over = resume
        for sheet, number, cells in islice(self.table.rows(), resume, None):
            yield self.item(sheet, number, cells, prepare=False)

    # --- the child and its pipe ---

    def _shared(self) -> dict[int, Model]:
        """The model instances both processes hold from the fork on, by `id()`."""
        found: dict[int, Model] = {}

        def walk(value: Any, depth: int) -> None:
            if isinstance(value, Model):
                found[id(value)] = value
            elif depth and isinstance(value, dict):
                for v in value.values():
                    walk(v, depth - 1)
            elif depth and isinstance(value, list | tuple | set | frozenset):
                for v in value:
                    walk(v, depth - 1)

        walk(vars(self.importer.lookups), 3)
        walk(self.importer.defaults, 1)
        walk([self.importer.actor, self.importer.default_unit, self.importer.default_channel], 1)
        walk(memo.held_values(), 3)
        return found

    def _from_child(self, skip: int) -> Generator[Item, None, int | None]:
        """Items from a forked child, from the `skip`th row of the file on; returns the row to go
        on from here if the child handed over, None when it read the whole file."""
        shared = self._shared()
        context = multiprocessing.get_context("fork")
        receive, send = context.Pipe(duplex=False)
        self._ahead_flag = context.RawValue("b", int(self.ahead))
        child = context.Process(
            target=self._child, args=(skip, send, shared), daemon=True, name="import-reader"
        )
        child.start()
        send.close()
        try:
            while True:
                try:
                    message = receive.recv_bytes()
                except EOFError:
                    raise RuntimeError(
                        f"import reader process ended without a word (exit {child.exitcode})"
                    ) from None
                kind, payload = _Unpickler(io.BytesIO(message), shared).load()
                if kind == "items":
                    yield from payload
                elif kind == "error":
                    raise payload
                else:  # "end" or "handover": the child's list of words to map is the longer
                    self.importer.unknown = payload["unknown"]
                    return payload.get("resume")
        finally:
            receive.close()
            if child.is_alive():
                child.kill()
            child.join()
            self._ahead_flag = None

    def _child(self, skip: int, send: Any, shared: dict[int, Model]) -> None:
        def put(kind: str, payload: Any) -> None:
            buffer = io.BytesIO()
            _Pickler(buffer, shared).dump((kind, payload))
            send.send_bytes(buffer.getbuffer())

        batch: list[Item] = []
        index = skip
        try:
            with connection.execute_wrapper(_forbid), services.deferred_registry_numbers():
                for sheet, number, cells in islice(self.table.rows(), skip, None):
                    self.ahead = bool(self._ahead_flag.value)
                    try:
                        item = self.item(sheet, number, cells, prepare=True)
                    except _DatabaseTouched:
                        put("items", batch)
                        put("handover", {"unknown": self.importer.unknown, "resume": index})
                        return
                    batch.append(item)
                    index += 1
                    if len(batch) >= BATCH:
                        put("items", batch)
                        batch = []
            put("items", batch)
            put("end", {"unknown": self.importer.unknown})
        except BaseException as exc:  # the parent raises it (the import rolls back)
            try:
                put("error", exc)
            except Exception:
                put("error", RuntimeError("".join(traceback.format_exception(exc))))
        finally:
            send.close()


class _Pickler(pickle.Pickler):
    """Pickles the shared model instances as references (`_shared_model(id)`).

    By `reducer_override`, which pickle calls for objects of other than the built-in types only,
    not `persistent_id`, which it calls for every object (each string, number and dict of
    every row: a tenth of the reader's time)."""

    def __init__(self, file: Any, shared: dict[int, Model]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.shared = shared

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, Model) and id(obj) in self.shared:
            return _shared_model, (id(obj),)
        return NotImplemented


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: Any, shared: dict[int, Model]) -> None:
        super().__init__(file)
        self.shared = shared

    def find_class(self, module_name: str, name: str) -> Any:
        if module_name == __name__ and name == _shared_model.__name__:
            return self.shared.__getitem__
        return super().find_class(module_name, name)


def _shared_model(key: int) -> Model:
    """Stands for a shared instance in a pickle; `_Unpickler` looks the instance up instead."""
    raise RuntimeError("a shared model instance is only unpickled by _Unpickler")
