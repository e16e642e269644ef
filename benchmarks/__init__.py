"""The benchmarks of histdip: run from a checkout as ``python -m benchmarks COMMAND``.

They are not part of the installed package (the library is ``histdip``); they need the
``bench`` extra (``pip install -e '.[bench]'``) and, for the real data, the data root
(:func:`benchmarks.datasets.data_root`). Commands, each in its module:

* ``quality`` (:mod:`.quality`): histdip and every peer against independent references;
  it drives :mod:`.datasets`, :mod:`.methods` (with the peers of :mod:`.peers`) and
  :mod:`.report`, and scores beads with :mod:`.detection`;
* ``curve`` (:mod:`.curve`): PSNR at every snapshot of a fit, DIP against HIST-DIP;
* ``speed`` (:mod:`.speed`): wall-clock against the paper preset, BM3D and classical;
* ``fmd`` (:mod:`.fmd`): the 48 FMD test frames, histdip beside VST+BM3D;
* ``noise`` (:mod:`.noise`): noise estimated from one frame against the truth;
* ``stopping`` (:mod:`.stopping`): where the default stops, against fixed budgets;
* ``simulator`` (:mod:`.simulator`): the simulator's statistics beside the real photos;
* ``paper`` (:mod:`.paper`): the paper's headline by its own (circular) protocol.
* ``sweep`` (:mod:`.sweep`): every method across the dim regime, on a fixed grid of
  simulated scenes (:mod:`.sweep_grid`), methods (:mod:`.sweep_methods`), scores
  (:mod:`.sweep_metrics`) and tables (:mod:`.sweep_report`).

:mod:`.doc` writes a command's table into a Markdown document (``--update-doc``).
"""
