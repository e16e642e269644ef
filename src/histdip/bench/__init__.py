"""Benchmarks of histdip.

* quality: :mod:`.quality` (the run, its settings and scoring) drives :mod:`.datasets`,
  :mod:`.methods` and :mod:`.report`, and scores beads with :mod:`.detection`;
* the iteration curve: :mod:`.curve`;
* speed: :mod:`.speed`.
"""
