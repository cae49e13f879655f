# Hilo's commands. `make run` and `make test` install whatever is missing (Debian packages with
# apt-get, Python packages into the git-ignored .venv), build, and run. Nothing is installed by hand.
SHELL := /bin/bash
.DEFAULT_GOAL := run
.PHONY: run build test swift-test e2e-test bench golden fuzz fuzz-smoke deps test-deps bench-deps clean starter

# One build configuration for run, test and bench, so the package is compiled once.
SWIFT_FLAGS := -c release -Xswiftc -enable-testing
BIN := .build/release/hilo
VENV := .venv
PY := $(VENV)/bin/python
ARGS ?=

APT_BUILD := libsqlite3-dev libopenblas-dev pkg-config
APT_TEST := chromium chromium-driver python3-venv
APT_BENCH := wrk hyperfine gcc g++
# torch, transformers and peft check Hugging Face interop (a model Hilo saves loads in transformers, an
# adapter in peft), schemathesis checks the OpenAPI document against the live server, trl (pinned: its
# trainers' dataset handling changes between releases) trains on Hilo's exports as they are; they are
# never used at run time. torch comes from the local wheel folder that pip is configured with.
PIP_TEST := pytest selenium datasets scipy torch==2.13.0+cpu transformers tokenizers safetensors numpy gguf schemathesis trl==1.16.0 peft==0.21.2

# apt-get install for the packages in $(1) that are not installed yet (sudo when not root).
define apt_install
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make: installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi
endef

deps:
	$(call apt_install,$(APT_BUILD))

test-deps: deps
	$(call apt_install,$(APT_TEST))
	@[ -x $(PY) ] || python3 -m venv $(VENV)
	@$(PY) -c "import pytest, selenium, datasets, scipy, torch, transformers, tokenizers, safetensors, gguf, schemathesis, trl, peft" 2>/dev/null || $(VENV)/bin/pip install -q $(PIP_TEST)

bench-deps: test-deps
	$(call apt_install,$(APT_BENCH))

build: deps
	swift build $(SWIFT_FLAGS)

run: build
	$(BIN) serve $(ARGS)

# Serial, so a failure's output reads in order and CPU-bound suites don't compete on 2 cores. A plain
# parallel `swift test` works too (430 tests in about 10 s here): the socket tests' servers run their
# handlers on the event loop, so the engine tests holding Swift's cooperative pool can't starve them.
swift-test: build
	swift test $(SWIFT_FLAGS) --no-parallel

e2e-test: test-deps build
	HILO_BIN=$(abspath $(BIN)) $(PY) -m pytest -q Tests/e2e

test: swift-test e2e-test fuzz-smoke

bench: bench-deps build
	HILO_BIN=$(abspath $(BIN)) PY=$(abspath $(PY)) Tests/Benchmarks/bench.sh

# libFuzzer over the HTTP request parser: the parser's sources plus a harness, built with swiftc (not
# SwiftPM) under -sanitize=fuzzer,address. `make fuzz` runs FUZZ_SECONDS (60); `make test` runs 10.
# New inputs go to .build/fuzz/corpus; seeds stay in Tests/HTTPTests/Fuzz/RequestParser/corpus; crashes land in .build/fuzz/.
FUZZ_SECONDS ?= 60
FUZZ_BIN := .build/fuzz/request-parser
FUZZ_SRC := $(wildcard Sources/HTTP/Parser/*.swift) Tests/HTTPTests/Fuzz/RequestParser/main.swift

$(FUZZ_BIN): $(FUZZ_SRC)
	@mkdir -p .build/fuzz/corpus
	set -o pipefail; swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name RequestParserFuzz $(FUZZ_SRC) -o $@ \
	  2>&1 | { grep -v "Cannot export local symbol" || true; }
	@test -x $@

fuzz: deps $(FUZZ_BIN)
	set -o pipefail; SWIFT_BACKTRACE=enable=no $(FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -timeout=5 \
	  -artifact_prefix=.build/fuzz/ -print_final_stats=1 .build/fuzz/corpus Tests/HTTPTests/Fuzz/RequestParser/corpus 2>&1 | tail -n 12

fuzz-smoke:
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=10

# Rewrites the reference fixtures under Tests/*/Fixtures from PyTorch, transformers and tokenizers.
golden: test-deps
	@for s in Tests/*/Fixtures/make_*.py; do echo "make golden: $$s"; $(PY) $$s || exit 1; done

# The embedded starter policy, rebuilt from nothing by Hilo's own commands with fixed seeds: the demo
# corpus, a byte-level BPE on its text, pretraining a 4-layer, 128-wide GPT-2 from scratch, then SFT on
# right answers. The folder is replaced only when every step has succeeded (built beside it, then
# renamed). jq turns the JSONL documents into the plain text the tokenizer learns from.
STARTER := Sources/Hilo/Starter/policy
STARTER_PRETRAIN := --layers 4 --embd 128 --heads 4 --positions 128 --lr 3e-3 --warmup 100 --weight-decay 0.1 \
  --batch 16 --max-length 64 --epochs 3 --max-steps 1800 --seed 1
STARTER_SFT := --lr 1e-3 --warmup 10 --batch 16 --max-steps 100 --seed 2
starter: build
	$(call apt_install,jq)
	@set -euo pipefail; start=$$(date +%s); w=$$(mktemp -d .build/starter.XXXXXX); trap 'rm -rf "$$w"' EXIT; \
	$(BIN) demo corpus --kind pretrain --count 20000 --seed 1 -o $$w/pretrain.jsonl; \
	$(BIN) demo corpus --kind sft --count 5000 --seed 2 -o $$w/sft.jsonl; \
	jq -j '.text + "\n"' $$w/pretrain.jsonl > $$w/pretrain.txt; \
	$(BIN) tokenizer train --corpus $$w/pretrain.txt --vocab-size 1024 --out $$w/tokenizer; \
	$(BIN) train pretrain --tokenizer $$w/tokenizer --data $$w/pretrain.jsonl --out $$w/pretrained $(STARTER_PRETRAIN); \
	$(BIN) train sft --model $$w/pretrained --data $$w/sft.jsonl --out $$w/policy $(STARTER_SFT); \
	mkdir -p $$(dirname $(STARTER)); rm -rf $(STARTER).old; \
	if [ -d $(STARTER) ]; then mv $(STARTER) $(STARTER).old; fi; mv $$w/policy $(STARTER); rm -rf $(STARTER).old; \
	echo "make starter: wrote $(STARTER) ($$(du -sh $(STARTER) | cut -f1)) in $$(( $$(date +%s) - start )) s"

clean:
	rm -rf .build
