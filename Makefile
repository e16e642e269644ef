# histdip: `make test` runs the tests, `make demo` restores the bundled sample photo.
# Both create .venv on first use; a stamp file makes later runs quick.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.histdip-installed
SAMPLE := src/histdip/data/sample_beads.png
DEMO   := demo-output
# `make test FULL=1` also runs the tests marked slow; PYTEST_ARGS adds anything else.
# `make demo DEMO_ARGS='--iterations 50'` passes extra flags to `histdip restore`.
DEMO_ARGS ?=
PYTEST_MARK := $(if $(FULL),,-m 'not slow')

.PHONY: all venv test demo clean-demo

all: test

venv: $(STAMP)

# torch comes first and pinned: a CPU wheel of exactly 2.13.0 lies on the machine and
# this pin takes it; left to the package's `torch>=2.1` pip would fetch a multi-GB
# CUDA build.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install torch==2.13.0
	$(BIN)/pip install -e '.[test,bench,napari]' 'pytest-qt>=4.2'
	touch $@

test: $(STAMP)
	$(BIN)/pytest -q $(PYTEST_MARK) $(PYTEST_ARGS)

# Restores the bundled sample photo with the default settings (fast preset). Without
# the sample (a checkout that lacks it), a synthetic bead image is made instead.
demo: $(STAMP)
	@mkdir -p $(DEMO)
	@if [ -f $(SAMPLE) ]; then \
	    input=$(SAMPLE); \
	else \
	    echo "demo: $(SAMPLE) not found; using a synthetic bead image instead"; \
	    input=$(DEMO)/synthetic_beads.png; \
	    $(BIN)/python -c "import numpy as np, imageio.v3 as iio; r = np.random.default_rng(0); y, x = np.mgrid[:192, :256]; c = r.uniform(8, [184, 248], (25, 2)); s = sum(150 * np.exp(-((y - a) ** 2 + (x - b) ** 2) / 18.0) for a, b in c); g = np.clip(25 + s + r.normal(0, 12, s.shape), 0, 255); iio.imwrite('$(DEMO)/synthetic_beads.png', np.stack([0.2 * g, g, 0.15 * g], -1).astype(np.uint8))"; \
	fi; \
	stem=$$(basename "$$input" .png); \
	$(BIN)/histdip restore "$$input" --outdir $(DEMO) --overwrite --side-by-side $(DEMO_ARGS) && \
	echo "demo: restored image  $(DEMO)/$${stem}_histdip.tif" && \
	echo "demo: side by side    $(DEMO)/$${stem}_histdip_side_by_side.png" && \
	echo "demo: config + record $(DEMO)/$${stem}_histdip.json"

clean-demo:
	rm -rf $(DEMO)

# `make careamics-env`: the separate environment of the Noise2Void and CARE peers
# (python -m benchmarks quality), several GB; nothing else needs it.
include benchmarks/careamics-env.mk
