# The two commands a newcomer needs: `make run` and `make test`. Everything else is optional.
PYTHON    ?= python3
WORKSPACE ?= estore-data
# EVENTS and MONTHS shape the sample a new workspace is generated with; a workspace keeps its
# sample, so for another size name another one: make run WORKSPACE=big EVENTS=10000000
EVENTS    ?= 3000000
MONTHS    ?= 2
UV        := .tools/bin/uv
VENV      := .venv
ESTORE    := $(VENV)/bin/estore --workspace $(WORKSPACE)

.PHONY: run test setup chromium bench lint clean

run: setup $(WORKSPACE)/landing/generation.json  ## generate a sample, load it, build every model, print the summary
	$(ESTORE) run $(WORKSPACE)/landing

# two workers, one per core; each folder of tests stays on one worker (tests/conftest.py)
test: setup chromium  ## run the whole test suite
	$(VENV)/bin/pytest -n 2

# the dashboard's browser tests drive Debian's chromium with Playwright (never `playwright install`)
chromium:
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y --no-install-recommends chromium)

setup: $(VENV)/.synced

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==0.13.9

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	touch $@

$(WORKSPACE)/landing/generation.json: | setup
	$(ESTORE) generate --out $(WORKSPACE)/landing --events $(EVENTS) --months $(MONTHS) --seed 42

bench: setup  ## time every stage at the sizes in benchmarks/README.md (about an hour)
	$(VENV)/bin/python benchmarks/bench_generate.py
	$(VENV)/bin/python benchmarks/bench_load.py
	$(VENV)/bin/python benchmarks/bench_build.py
	$(VENV)/bin/python benchmarks/bench_clv.py
	$(VENV)/bin/python benchmarks/bench_pipeline.py

lint: setup
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks

clean:  ## remove the sample workspace (not the environment)
	rm -rf $(WORKSPACE)
