# Healthscore — `make run` serves the demo on SQLite; `make test` runs the whole suite.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# The translations: locale/<lang>/LC_MESSAGES/*.po are committed, the .mo files built from them.
PO := $(wildcard locale/*/LC_MESSAGES/*.po)
MO := $(PO:.po=.mo)

.PHONY: run test bench load lint serve clean messages

# Quiet: pip's errors still show; its warnings and the build backend's chatter do not.
$(STAMP): pyproject.toml requirements.lock
	@command -v $(PYTHON) >/dev/null || { echo "Healthscore needs $(PYTHON) (Python 3.11)"; exit 1; }
	@echo "Installing Healthscore and its dependencies into $(VENV) ..."
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -qq --upgrade pip
	@$(PY) -m pip install -qq -c requirements.lock -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

# msgfmt is GNU gettext's (Debian: apt-get install gettext); --check-format refuses a translation
# whose %(name)s placeholders differ from the English.
%.mo: %.po
	@command -v msgfmt >/dev/null || { echo "Compiling translations needs msgfmt: apt-get install gettext"; exit 1; }
	@msgfmt --check-format -o $@ $<

messages: $(MO)

# Local demo: SQLite, Celery tasks in-process, demo data loaded once. DEMO, not DEBUG: the
# app's own error pages, not Django's debug pages (DEBUG=true make run for those).
# The demo logins and the address come last, above runserver's own few lines.
ADDR ?= 127.0.0.1:8000
run: $(STAMP) $(MO)
	@echo "Preparing the database (SQLite) and the demo book ..."
	@DEMO=true $(PY) manage.py migrate --no-input --verbosity 0
	@DEMO=true $(PY) manage.py seed_demo --if-empty
	@echo "Open http://$(ADDR)/login/ and log in as one of the users above (Ctrl-C stops it)."
	@DEMO=true DJANGO_RUNSERVER_HIDE_WARNING=true $(PY) manage.py runserver --skip-checks $(ADDR)

test: $(STAMP) $(MO)
	SECRET_KEY=$${SECRET_KEY:-insecure-test-only} $(PY) -m pytest $(PYTEST_ARGS)

# Benchmarks need PostgreSQL: DATABASE_URL defaults to the local server.
# The benchmarks run the scoring as the worker does, with its allocator settings (bin/serve).
bench: $(STAMP)
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres} SECRET_KEY=bench \
		MALLOC_MMAP_THRESHOLD_=4294967296 MALLOC_TRIM_THRESHOLD_=4294967296 $(PY) bench/run.py

# The production processes (gunicorn, Celery worker, Celery beat) on local PostgreSQL and Redis.
serve: $(STAMP) $(MO)
	bin/serve

# 50 users on the book and account pages of a 10,000-account book, served by bin/serve (60 s).
# Needs PostgreSQL (a scratch database of its own) and the redis-server binary.
load: $(STAMP)
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres} \
		$(PY) bench/load_test.py $(LOAD_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles $(MO)
