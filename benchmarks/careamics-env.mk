# The CAREamics environment of the benchmarks' Noise2Void and CARE peers
# (benchmarks/peers/careamics.py): include it from the Makefile, then `make careamics-env`.
#
# CAREamics needs torchvision, which cannot live in histdip's .venv, so it gets a venv of
# its own; the peers run it in a subprocess and never install anything themselves. Needs
# network access to PyPI and about 5.5 GB of disk: careamics pins torchvision<=0.26,
# which pins torch 2.11, so pip replaces the torch installed first with the CUDA build of
# 2.11 from PyPI (docs/peers.md). The marker file, written last, says the env is
# complete; the peers look for it and are skipped, with this target's name, without it.

PYTHON ?= python3
# $HISTDIP_CAREAMICS_ENV moves it, for make and for the peers alike.
CAREAMICS_ENV ?= $(or $(HISTDIP_CAREAMICS_ENV),.bench-envs/careamics)
CAREAMICS_MARKER := $(CAREAMICS_ENV)/histdip-careamics.json
# The new env must see only its own packages.
CAREAMICS_RUN := env -u PYTHONPATH -u PYTHONHOME
CAREAMICS_PIP := $(CAREAMICS_RUN) $(CAREAMICS_ENV)/bin/python -m pip install --disable-pip-version-check

.PHONY: careamics-env

careamics-env: $(CAREAMICS_MARKER)

# torch first and pinned: a CPU wheel of exactly 2.13.0 may lie on the machine.
$(CAREAMICS_MARKER):
	test -x $(CAREAMICS_ENV)/bin/python || $(CAREAMICS_RUN) $(PYTHON) -m venv $(CAREAMICS_ENV)
	$(CAREAMICS_PIP) torch==2.13.0
	$(CAREAMICS_PIP) careamics
	$(CAREAMICS_RUN) $(CAREAMICS_ENV)/bin/python -c "import json, careamics, torch, numpy; \
	print(json.dumps({'careamics': careamics.__version__, 'torch': torch.__version__, 'numpy': numpy.__version__}, indent=1))" > $@.tmp
	mv $@.tmp $@
