# Two commands on a fresh machine: `make serve` and `make test` (only python3 and make needed).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8000
ADMIN  := ada.admin@demo.sharedgoals.dev

.PHONY: install serve test fuzz bench bench-pg schema migrations clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

serve: $(STAMP)
	$(BIN)/sharedgoals migrate
	$(BIN)/sharedgoals seed-demo --if-empty
	@echo
	@echo "Admin token (kept in var/make-serve.token, readable by you only, and reused while it is valid):"
	@$(BIN)/sharedgoals create-token --person $(ADMIN) --name "make serve" --keep var/make-serve.token | tail -n 1
	@echo "GraphiQL:  http://$(HOST):$(PORT)/graphql   (headers: {\"Authorization\": \"Bearer <token>\"})"
	@echo "Dashboard: http://$(HOST):$(PORT)/#token=$$(cat var/make-serve.token)"
	@echo
	$(BIN)/sharedgoals serve --host $(HOST) --port $(PORT)

# Prints how long the run took (wall clock) and on which database, pass or fail. TEST_ARGS go to pytest.
# The tests run in TEST_WORKERS processes (pytest-xdist; `auto`: one per CPU, 0: all in this one), each on a database
# of its own, idle workers taking tests from busy ones (--dist worksteal).
TEST_WORKERS ?= auto
test: $(STAMP)
	@start=$$(date +%s); $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal $(TEST_ARGS); status=$$?; \
	db=$${TEST_DATABASE_URL:+TEST_DATABASE_URL}; \
	echo "make test: $$(( $$(date +%s) - start )) s on $${db:-SQLite} (TEST_WORKERS=$(TEST_WORKERS)), exit status $$status"; \
	exit $$status

# A longer fuzzing run of the GraphQL API than `make test` does (tests/api/test_fuzz.py): FUZZ_EXAMPLES cases per
# operation, FUZZ_SEED for other (still deterministic) cases; every failing case is written to FUZZ_REPORT.
FUZZ_EXAMPLES ?= 500
FUZZ_SEED     ?=
FUZZ_REPORT   ?= var/fuzz-report.txt
fuzz: $(STAMP)
	@mkdir -p $(dir $(FUZZ_REPORT))
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_SEED=$(FUZZ_SEED) FUZZ_REPORT=$(FUZZ_REPORT) \
		$(BIN)/python -m pytest tests/api/test_fuzz.py -k survives_fuzzing -p no:cacheprovider

# Import throughput on SQLite against a plain csv + executemany script, leads and then every other kind of the
# journeys of BENCH_JOURNEY_LEADS generated leads (bench/import_bench.py --help), then report
# latency against hand-written SQL and goals-query throughput against plain Starlette on the generated dataset
# (bench/latency_bench.py --help; BENCH_LEADS=100000 for a quick run), then compStatements and payouts.csv beside
# hand-written SQL on that dataset with its pay step applied (bench/pay_bench.py --help), then the server's peak memory while it
# streams a 1,000,000-row leads.csv (bench/export_bench.py), then MARKOV beside ChannelAttribution when installed
# (bench/markov_bench.py), then the forecast backtest
# (bench/forecast_bench.py). Datasets are built once and cached in bench/cache/.
BENCH_LEADS ?= 1000000
BENCH_JOURNEY_LEADS ?= 20000
bench: $(STAMP)
	$(BIN)/python bench/import_bench.py --journey-leads $(BENCH_JOURNEY_LEADS) $(BENCH_ARGS)
	BENCH_LEADS=$(BENCH_LEADS) $(BIN)/python bench/latency_bench.py
	BENCH_LEADS=$(BENCH_LEADS) $(BIN)/python bench/pay_bench.py
	$(BIN)/python bench/export_bench.py
	$(BIN)/python bench/markov_bench.py
	BENCH_LEADS=$(BENCH_LEADS) $(BIN)/python bench/forecast_bench.py

# The import benchmark of every journey kind against psql's COPY (it creates and drops databases bench_ours_N and
# bench_plain_N on that server), then the latency benchmark, on PostgreSQL:
# BENCH_DATABASE_URL=postgres://user@host:port/db make bench-pg
bench-pg: $(STAMP)
	@test -n "$(BENCH_DATABASE_URL)" || (echo "set BENCH_DATABASE_URL=postgres://user@host:port/dbname" && exit 2)
	$(BIN)/python bench/import_bench.py --database-url $(BENCH_DATABASE_URL) --journey-leads $(BENCH_JOURNEY_LEADS) $(BENCH_ARGS)
	BENCH_LEADS=$(BENCH_LEADS) BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python bench/latency_bench.py

schema: $(STAMP)
	$(BIN)/sharedgoals export-schema --output schema/schema.graphql

migrations: $(STAMP)
	$(BIN)/tortoise makemigrations

clean:
	rm -rf $(VENV) var *.egg-info
