"""The volumes benchmark's scoring: bead F1, detection, PSNR/SSIM, the classical peer, its command."""

import numpy as np
import pytest

from benchmarks.__main__ import build_parser
from benchmarks.volumes import bead_f1, classical_3d, detect_beads_3d, score, seed_table, summary_table
from histdip.simulate.volume import simulate_volume


@pytest.fixture(scope="module")
def sim():
    return simulate_volume((16, 64, 64), spacing=(0.2, 0.1, 0.1), n_beads=8, seed=5)


def test_bead_f1_counts_matches_within_the_radius(sim):
    truth = sim.bead_voxels()
    assert bead_f1(truth, sim.beads, sim.spacing) == 1.0
    far = truth + np.array([0.0, 20.0, 0.0])  # 2 µm off: none match
    assert bead_f1(far, sim.beads, sim.spacing) == 0.0
    assert bead_f1(truth[:4], sim.beads, sim.spacing) == pytest.approx(2 * 4 / (4 + 8))
    assert bead_f1(np.zeros((0, 3)), sim.beads, sim.spacing) == 0.0


def test_the_clean_volume_scores_best(sim):
    clean_f1 = bead_f1(detect_beads_3d(sim.clean, sim.spacing), sim.beads, sim.spacing)
    raw_f1 = bead_f1(detect_beads_3d(sim.volume, sim.spacing), sim.beads, sim.spacing)
    assert clean_f1 >= 0.8 and clean_f1 > raw_f1
    psnr, ssim = score(sim.clean, sim.clean + 1e-3)
    assert psnr > 60 and ssim > 0.99
    raw = score(sim.volume.astype(float), sim.clean)
    assert raw[0] < psnr and raw[1] < 0.9
    assert score(classical_3d(sim.volume, sim.spacing), sim.clean)[0] > raw[0]


def test_tables_and_command():
    rows = [{"geometry": "isotropic", "dz": 0.1, "seed": 1, "method": m, "psnr": p, "ssim": 0.5, "f1": 0.5,
             "seconds": s, "time_ratio": s / 10.0, "psnr_output": p - 1} for m, p, s in (("planes", 30.0, 10.0), ("3d", 33.0, 12.0))]
    assert "| isotropic (1) | 3d | 33.00 | 0.500 | 0.50 | 12.0 | 1.20 | 32.00 |" in summary_table(rows)
    assert "| isotropic | 1 | 30.00 | 33.00 | 0.50 | 0.50 | 1.20 |" in seed_table(rows)
    args = build_parser().parse_args(["volumes", "--seeds", "7", "--methods", "raw", "planes"])
    assert args.seeds == [7] or tuple(args.seeds) == (7,)
