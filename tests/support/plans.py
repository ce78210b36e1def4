"""How DuckDB plans the writes to observations: a batch insert (on every core, in order) or a plain one."""
from __future__ import annotations


class Explaining:
    """A transaction's cursor that notes how DuckDB plans each write to observations before running it."""

    def __init__(self, cur):
        self._cur, self.plans = cur, []

    def __getattr__(self, name):
        return getattr(self._cur, name)

    def execute(self, sql, *args):
        if sql.lstrip().startswith("INSERT INTO observations"):
            plan = self._cur.execute("EXPLAIN " + sql, *args).fetchall()[0][1]
            self.plans.append("Batch Insert" if "Batch Insert" in plan else "Insert")
        return self._cur.execute(sql, *args)
