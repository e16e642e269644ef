"""The named presets: every field of a :class:`histdip.config.RestoreConfig`, per name.

``paper`` is the authors' released configuration; ``fast`` the default, with the reason
for each choice beside it (the measurements are in docs/results.md and
docs/benchmarks.md). :meth:`RestoreConfig.from_preset` validates them; settings per kind
of sample on top of ``fast`` live in :mod:`histdip.samples`.
"""

PRESETS = {
    "paper": dict(
        method="hist-dip",
        preset="paper",
        threshold="yen",
        threshold_low=None,
        sample=None,
        channel="rgb",
        background="none",
        background_radius="auto",
        mask_min_size=0,
        mask_grow=0,
        threshold_smooth=0.0,
        network={},  # the NetworkConfig defaults: the paper's 2.2 M-parameter skip network
        physics=dict(kind="downsample", factor=4, kernel="lanczos2"),
        input="image",
        input_channels=32,
        noise_model="gaussian",
        iterations=2000,
        lr=1e-3,
        patch_size=None,
        batch_size=1,
        ema=None,
        output="last",
        mask_resampling="lr",
        tile=None,
        ensemble=1,
        stopping=dict(rule="fixed"),
    ),
    "fast": dict(
        method="hist-dip",
        preset="fast",
        threshold="yen",
        # One T, not a hysteresis pair: on the phone photos b, d, g and j a lower second
        # T (Li's) joins the flare around the beads to them, 15-33x the mask (docs/results.md).
        threshold_low=None,
        # The image chooses between these settings (beads) and those for cells: T only
        # where the objects above it stand clear of the noise (histdip.samples).
        sample="auto",
        channel="auto",
        # The glow under the beads, subtracted before the threshold (ImageJ's rolling
        # ball), with a radius that follows the size of the objects found: on a 128 px
        # simulated bead scene +13.7 dB against the clean signal (docs/results.md).
        background="rolling-ball",
        background_radius="auto",
        # T and the mask from the grey smoothed over 1 px, the mask grown by 1 px: fewer
        # ragged edges and cut rims (docs/results.md).
        mask_min_size=0,
        mask_grow=1,
        threshold_smooth=1.0,
        # 16 channels x 4 scales, no normalisation (2-5x cheaper per step than GroupNorm,
        # and tile-invariant: GroupNorm's per-image statistics differ between crops,
        # tiles and the whole image); a straight-through [0, 1] clip instead of the
        # sigmoid, which saturated (all-zero output) without normalisation.
        network=dict(
            channels_down=[16, 16, 16, 16],
            channels_up=[16, 16, 16, 16],
            channels_skip=[4, 4, 4, 4],
            norm="none",
            upsample="bilinear",
            padding="reflection",
            sigmoid=False,
            clamp=True,
        ),
        # x2, not the paper's x4: on simulated bead photos (correlated noise, JPEG) +0.2 to
        # +1.2 dB against the clean signal, the x4 model smoothing bead interiors; level on
        # the 12 FMD tuning frames (33.22 vs 33.15 dB); full resolution (x1) copies
        # correlated wide-field noise (-1.6 dB on WideField_BPAE_G_1). docs/results.md.
        physics=dict(kind="downsample", factor=2, kernel="lanczos2"),
        input="image",
        input_channels=1,
        noise_model="gaussian",
        # Stops by itself (noise-level rule below); 600 is only a cap. lr 6e-3: on
        # FMD tuning frames it reaches the noise level in fewer steps than 3e-3, with
        # better results (docs/benchmarks.md).
        iterations=600,
        lr=6e-3,
        patch_size=128,
        batch_size=4,
        ema=0.9,
        output="eval",
        mask_resampling="hr",
        tile=1024,
        # Same arithmetic, activations stored pixel by pixel: 0.72-0.85x the time per step
        # on this CPU (docs/benchmarks.md).
        channels_last=True,
        # Levelling off: 3 checks far above the noise level (a thresholded photo, whose
        # fit creeps down at 5-20x it: 190 steps on a.png against 430 with 5), 20 checks
        # within 4x of it (FMD frames, whose ratio falls from 2 to 1 in steps with
        # plateaus between; 20 against 5 there: +1.4 dB on the 12 tuning frames;
        # docs/stopping.md).
        # A ratio 1.5x its best is a spike of the learning rate, not a plateau: the fit
        # goes on (a 128 px bead crop at twice the noise: 34.9 -> 38.9 dB).
        stopping=dict(rule="noise-level", check_every=10, min_iterations=50, level=1.0, tolerance=0.03, patience=3,
                      near_level=4.0, near_patience=20, detour=1.5),
    ),
}
