# latent-walk: `make video` renders the film and `make test` runs the tests; each sets itself up first.
#
# Every step is a real file with real prerequisites, so a second `make video` with nothing
# changed does nothing, and changing one chapter's narration re-renders that chapter alone:
#   requirements.txt -> .venv/.stamp-pip -> media/captures/<experiment>.current
#   -> media/chapters/<quality>-<voice>/<chapter>.mp4 -> media/film.mp4
# A film is a file: film.toml (the default) makes the film in media/; `make video FILM=other.toml`
# makes another film, the same way, in media/films/<its name>/.

SHELL := /bin/bash
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

VENV := .venv
PY := $(VENV)/bin/python
STAMP_APT := $(VENV)/.stamp-apt
STAMP_PIP := $(VENV)/.stamp-pip
# the explorer page's npm package (onnxruntime-web, pinned in package.json and package-lock.json)
STAMP_NPM := node_modules/.stamp-npm
# The project is installed into .venv (editable), so pipeline, scenes and publish import from
# here wherever manim or pytest runs them from.

# Render quality: medium (720p30) by default, which renders the whole film in about half its length on 2 cores
# (chapters side by side); low (480p15) for quick looks; high (1080p60) for the final film.
QUALITY ?= medium
ifeq ($(QUALITY),low)
  MANIM_QUALITY := -ql
  QUALITY_DIR := 480p15
else ifeq ($(QUALITY),medium)
  MANIM_QUALITY := -qm
  QUALITY_DIR := 720p30
else ifeq ($(QUALITY),high)
  MANIM_QUALITY := -qh
  QUALITY_DIR := 1080p60
else
  $(error QUALITY must be low, medium or high, not '$(QUALITY)')
endif

# `make video` renders this many chapters side by side (default: one per core); captures stay one at a time.
JOBS ?= $(shell nproc 2>/dev/null || echo 1)

# The film file (see film.toml): its prompts, seed, steps, guidance, model and voice. Read (and its
# folder claimed) only for the targets that make a film, once .venv exists: media/ for film.toml,
# media/films/<name>/ for any other, so that two films never overwrite each other.
FILM ?= film.toml
# `make -n`: reading the Makefile writes nothing (the film's folder is not claimed, the chapters' inputs not written).
DRY_RUN := $(findstring n,$(firstword -$(MAKEFLAGS)))
FILM_GOALS := video film renders captures clips site slides present all report
ifneq ($(wildcard $(VENV)/.stamp-pip),)
ifneq ($(filter $(FILM_GOALS),$(MAKECMDGOALS)),)
FILM_INFO := $(shell $(VENV)/bin/python -m pipeline.film $(if $(DRY_RUN),plan,make) $(FILM))
ifeq ($(FILM_INFO),)
  $(error the film file $(FILM) cannot be used (the line above says why))
endif
endif
endif
FILM_DIR := $(or $(word 1,$(FILM_INFO)),media)

# The narrating voice (scenes/narration/speech.py reads it): the film file's (piper, or silent for
# quick test renders), unless LATENT_WALK_VOICE is given. Clips are kept apart per voice, so a
# silent render is never taken for a narrated one.
ifeq ($(origin LATENT_WALK_VOICE),undefined)
  LATENT_WALK_VOICE := $(or $(word 2,$(FILM_INFO)),piper)
  VOICE_FROM_FILM := yes
endif
ifneq ($(words $(LATENT_WALK_VOICE)) $(filter piper silent,$(LATENT_WALK_VOICE)),1 $(strip $(LATENT_WALK_VOICE)))
  $(error LATENT_WALK_VOICE must be piper or silent, not '$(LATENT_WALK_VOICE)')
endif
export LATENT_WALK_VOICE

# CI logs are files: manim's progress bars would fill them with carriage returns
MANIM_CI := $(if $(filter true,$(CI)),--progress_bar none)

CAPTURES := $(FILM_DIR)/captures
CLIPS := $(FILM_DIR)/chapters/$(QUALITY)-$(LATENT_WALK_VOICE)
FILM_VIDEO := $(FILM_DIR)/film.mp4
# What the film was last joined from; rewritten only when it changes, so that switching quality
# or voice rejoins the film even from clips older than it.
FILM_SETTINGS := $(FILM_DIR)/.film-settings
# The experiments `make video` captures, from the pipeline's registry (`python -m pipeline list`,
# read once .venv exists); a chapter depends on those its narration file's [chapter] reads names.
# Goals that need neither (help, set-up, tests, training, clean) do not ask Python at all: reading the
# Makefile for them writes nothing.
PLANLESS_GOALS := help setup lint test test-quick model latent-model judge colour-judge evaluate bench bench-explore \
  explore clean distclean
PLANS := $(and $(wildcard $(STAMP_PIP)),$(filter-out $(PLANLESS_GOALS),$(or $(MAKECMDGOALS),help)))
ifneq ($(PLANS),)
EXPERIMENTS := $(shell $(PY) -m pipeline list)
endif
CAPTURE_POINTERS := $(EXPERIMENTS:%=$(CAPTURES)/%.current)
CAPTURE_CHECKS := $(EXPERIMENTS:%=$(CAPTURES)/.%.checked)
PIPELINE_CODE := $(wildcard pipeline/*.py pipeline/experiments/*.py)

.PHONY: help setup lint test test-quick video film renders clips site slides present all report captures model latent-model judge colour-judge evaluate explorer explore bench bench-waits bench-explore clean distclean

help: ## list the targets; QUALITY=low|medium|high (default medium), FILM=file (default film.toml), LATENT_WALK_VOICE=piper|silent (default: the film's), JOBS=n (default: the cores)
	@echo "latent-walk: make TARGET [QUALITY=low|medium|high] [FILM=film.toml] [LATENT_WALK_VOICE=piper|silent] [JOBS=n]"
	@grep -E '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## (.*)/  \1\t\2/' | expand -t 14

# ----------------------------------------------------------------------------- set-up

setup: $(STAMP_PIP) $(STAMP_NPM) ## install system packages (as root), the pinned Python packages into .venv, the npm package

$(STAMP_APT): scripts/setup.sh
	bash scripts/setup.sh apt

$(STAMP_PIP): requirements.txt pyproject.toml $(STAMP_APT)
	bash scripts/setup.sh pip

$(STAMP_NPM): package.json package-lock.json $(STAMP_APT)
	bash scripts/setup.sh npm

# ----------------------------------------------------------------------------- tests

lint: $(STAMP_PIP) ## check the code with ruff (the rules are in pyproject.toml)
	$(VENV)/bin/ruff check .

# Every test, on every core (pytest-xdist, tests handed out as workers free up); `pytest -n 0` runs them in one process.
# The quick tier leaves out the tests marked render, browser, train and slow (pyproject.toml names the markers).
QUICK := not (render or browser or train or slow)

test: lint $(STAMP_NPM) ## lint, then run the whole test suite on every core (sets up first)
	$(PY) -m pytest -n $(JOBS) --dist worksteal

test-quick: lint $(STAMP_NPM) ## lint, then every test but those that render, drive a browser, train or take long (about two minutes)
	$(PY) -m pytest -n $(JOBS) --dist worksteal -m "$(QUICK)"

# ----------------------------------------------------------------------------- captures

captures: $(CAPTURE_POINTERS) ## compute the captures the film reads, with the film file's settings (cached by spec)

# The capture command runs whenever pipeline code changes, but a cache hit leaves
# <experiment>.current untouched, so chapters re-render only when the data really changed.
#
# Every capture is made by one process, in the registry's order (the map, fitted over the others, last), before any
# chapter renders: a capture runs on every core (its spec names the thread count it ran with, so two side by side
# would each be other captures), and one process loads the model once. Renders, which read the captures, then have
# both cores to themselves from the start.
ifneq ($(CAPTURE_CHECKS),)
$(CAPTURE_CHECKS) &: $(PIPELINE_CODE) $(FILM) $(STAMP_PIP)
	$(PY) -m pipeline capture --all --film $(FILM) --out $(CAPTURES)
	@touch $(CAPTURE_CHECKS)
endif


$(CAPTURE_POINTERS): $(CAPTURES)/%.current: $(CAPTURES)/.%.checked
	@test -f $@ || { echo "error: $@ is missing after capturing; run: $(PY) -m pipeline capture $* --film $(FILM) --out $(CAPTURES) --force" >&2; exit 1; }

# ----------------------------------------------------------------------------- the film

# The film file is checked whole first (its model folder, and each prompt against its encoder), so that bad
# input stops before any capture is made; the voice it names reaches the inner make unless one was given.
video: $(STAMP_PIP) ## capture (if needed), render every chapter and join them into media/film.mp4 (FILM=file: media/films/<name>/)
	@$(PY) -m pipeline film check $(FILM)
	@$(if $(VOICE_FROM_FILM),env -u LATENT_WALK_VOICE) $(MAKE) --no-print-directory -j$(JOBS) film FILM=$(FILM)

# Chapters are found by scenes/chapters.py (chNN_name.py beside chNN_name.narration.toml, in file
# name order), once .venv exists: "module:Class:capture,capture" per chapter, the captures being
# those its [chapter] table reads, so that a changed capture re-renders only the chapters that read it.
# Each chapter's render inputs (its narration file less the summary and poster, which only the
# exports read) are written to $(CHAPTER_INPUTS)/<module>.json, rewritten only when they change.
CHAPTER_INPUTS := $(FILM_DIR)/.chapter-inputs
comma := ,
ifneq ($(PLANS),)
CHAPTER_LINES := $(shell $(PY) -m scenes.chapters $(if $(DRY_RUN),plan,make $(CHAPTER_INPUTS)) \
  $(or $(word 3,$(FILM_INFO)),all))
CHAPTER_ENTRIES := $(filter-out longest-first:%,$(CHAPTER_LINES))
# The same chapters, most words first: `make -j` starts their renders in this order.
LONGEST_FIRST := $(subst $(comma), ,$(patsubst longest-first:%,%,$(filter longest-first:%,$(CHAPTER_LINES))))
ifneq ($(filter film renders,$(MAKECMDGOALS)),)
ifeq ($(CHAPTER_ENTRIES),)
  $(error the chapters could not be read (the line above says why))
endif
endif
endif
chapter_module = $(word 1,$(subst :, ,$(1)))
chapter_class = $(word 2,$(subst :, ,$(1)))
chapter_captures = $(or $(patsubst %,$(CAPTURES)/%.current,$(subst $(comma), ,$(word 3,$(subst :, ,$(1))))),$(CAPTURE_POINTERS))

CHAPTER_MODULES := $(foreach c,$(CHAPTER_ENTRIES),$(call chapter_module,$(c)))
CHAPTER_CLIPS := $(CHAPTER_MODULES:%=$(CLIPS)/%.mp4)
RENDER_ORDER := $(LONGEST_FIRST:%=$(CLIPS)/%.mp4)
# Code every chapter shares (style, words, pictures, charts, the narration service) and the
# numpy-only pipeline modules scenes read through (the contract, the maps, whole-file writes); a
# chapter's own files are its module, its render inputs and anything else named after it.
# Chapter modules are no chapter's shared code, and the chapter loader and the film's joiner are
# read only when the film is joined.
SCENE_SHARED := $(filter-out scenes/chapters.py scenes/assemble.py, \
  $(shell find scenes -name '*.py' -not -name 'ch[0-9]*' -not -path '*/__pycache__/*' 2>/dev/null)) \
  pipeline/contract.py pipeline/maps.py pipeline/files.py manim.cfg
# The parse above writes the chapters' inputs; under `make -n` it writes nothing, and this rule says what would.
$(CHAPTER_INPUTS)/%.json:
	$(PY) -m scenes.chapters make $(CHAPTER_INPUTS) $(or $(word 3,$(FILM_INFO)),all) > /dev/null
chapter_own = scenes/$(1).py $(CHAPTER_INPUTS)/$(1).json \
  $(shell find scenes -type f -name '$(1).*' -not -name '*.py' -not -name '*.narration.toml' -not -path '*/__pycache__/*')

# manim writes <film>/videos/<module>/<quality>/<Class>.mp4 and the narration writes
# <film>/subtitles/<Class>.{vtt,srt,marks.json} (<film>: media, or media/films/<name>); each
# chapter reads its captures from <film>/captures; each chapter's clip, subtitles and block marks
# (where each narration block starts and ends: the clips' posters and the slides read them)
# are copied beside it, the video with its sound brought to web loudness (scenes/loudness.py).
# Every render waits for every capture pointer (order only), so that all become ready at once and `make -j` starts
# them in the order `film` lists them, longest first (a chapter whose few pointers were checked first would start
# before a longer one otherwise).
# Old subtitles go first, so that a render that writes none cannot leave another render's behind.
define CHAPTER_RULE
$(CLIPS)/$(call chapter_module,$(1)).mp4: $(call chapter_own,$(call chapter_module,$(1))) $(SCENE_SHARED) \
    $(call chapter_captures,$(1)) $(STAMP_PIP) | $(CAPTURE_POINTERS)
	@echo "chapter $(call chapter_module,$(1)): rendering $(call chapter_class,$(1)) ($(QUALITY) quality, $(LATENT_WALK_VOICE) voice)"
	rm -f $(foreach ext,vtt srt marks.json,$(FILM_DIR)/subtitles/$(call chapter_class,$(1)).$(ext))
	$(PY) -m manim render --config_file manim.cfg $(MANIM_QUALITY) $(MANIM_CI) --media_dir $(FILM_DIR) \
	  scenes/$(call chapter_module,$(1)).py $(call chapter_class,$(1))
	@mkdir -p $(CLIPS)
	@for ext in vtt srt marks.json; do \
	  src=$(FILM_DIR)/subtitles/$(call chapter_class,$(1)).$$$$ext; dst=$(CLIPS)/$(call chapter_module,$(1)).$$$$ext; \
	  if [ -f $$$$src ]; then cp $$$$src $$$$dst; else rm -f $$$$dst; fi; done
	$(PY) -m scenes.loudness $(FILM_DIR)/videos/$(call chapter_module,$(1))/$(QUALITY_DIR)/$(call chapter_class,$(1)).mp4 $$@
endef
$(foreach c,$(CHAPTER_ENTRIES),$(eval $(call CHAPTER_RULE,$(c))))

ifeq ($(filter film,$(MAKECMDGOALS))$(DRY_RUN),film)
$(shell mkdir -p $(FILM_DIR) && { [ "$$(cat $(FILM_SETTINGS) 2>/dev/null)" = "$(QUALITY) $(LATENT_WALK_VOICE)" ] \
  || echo "$(QUALITY) $(LATENT_WALK_VOICE)" > $(FILM_SETTINGS); })
endif

film: $(FILM_VIDEO)
	@echo "film: $(FILM_VIDEO) ($(QUALITY) quality, $(LATENT_WALK_VOICE) voice; chapters in $(CLIPS)/)"

# Joined in play order (so a new order rejoins it), with the chapters' subtitles shifted onto
# the film's timeline: media/film.vtt and media/film.srt.
$(FILM_VIDEO): $(RENDER_ORDER) $(FILM_SETTINGS) scenes/chapters.py scenes/assemble.py
	$(PY) -m scenes.assemble $@ $(CHAPTER_CLIPS)

$(FILM_SETTINGS):
	@mkdir -p $(FILM_DIR) && echo "$(QUALITY) $(LATENT_WALK_VOICE)" > $@

# ----------------------------------------------------------------------------- the three ways out
# Clips, the page and the slide deck are made from the chapters `make video` renders (the same
# QUALITY and voice); each renders only what is missing and remakes only what is out of date.

CLIPS_DIR := $(FILM_DIR)/clips
SITE_DIR := $(FILM_DIR)/site
SLIDES_DIR := $(FILM_DIR)/slides

renders: $(RENDER_ORDER)

clips: $(STAMP_PIP) ## every chapter as web video in media/clips: MP4, WebM, poster, subtitles, silent preview
	@$(MAKE) --no-print-directory renders
	$(PY) -m publish clips --from $(CLIPS) --out $(CLIPS_DIR) --jobs $(JOBS) $(CHAPTER_MODULES)

site: clips explorer ## the page that embeds every chapter, media/site/index.html, and the explorer beside it
	$(PY) -m publish site --clips $(CLIPS_DIR) --out $(SITE_DIR) $(CHAPTER_MODULES)

slides: $(STAMP_PIP) ## the lecture deck: one slide per narration block, and media/slides/latent-walk.html
	@$(MAKE) --no-print-directory renders
	$(PY) -m publish slides --from $(CLIPS) --out $(SLIDES_DIR) --jobs $(JOBS) $(CHAPTER_MODULES)

present: slides ## play the deck with manim-slides present (needs a display; keys: right, left, space, q)
	$(PY) -m publish present --deck $(SLIDES_DIR)

all: video clips site slides ## the film, the clips, the page and the slide deck

report: video ## how the film plays, per chapter: still stretches, cues spoken over them, loudness (renders it first if needed)
	$(PY) -m publish report --from $(CLIPS) --film $(FILM_VIDEO) --jobs $(JOBS) $(CHAPTER_MODULES)

# The explorer (media/site/explore.html): the model exported as ONNX into media/site/explore/ when the
# model, its export or its encoder changed, then the page with ONNX Runtime Web vendored from node_modules.
EXPLORE_DIR := $(SITE_DIR)/explore
EXPORT_INPUTS := $(wildcard model/toyworld-diffusion/*.json model/toyworld-diffusion/*/*) \
  pipeline/export_web.py pipeline/text_encoder.py pipeline/model.py
EXPLORE_PORT ?= 8000

$(EXPLORE_DIR)/explore.json: $(EXPORT_INPUTS) $(STAMP_PIP)
	$(PY) -m pipeline export-web --out $(EXPLORE_DIR)

$(SITE_DIR)/explore.html: $(EXPLORE_DIR)/explore.json $(wildcard publish/explore*.py publish/explore*.js) scenes/style.py $(STAMP_NPM)
	$(PY) -m publish.explore --site $(SITE_DIR)

explorer: $(SITE_DIR)/explore.html ## the explorer alone: the model live in the browser, media/site/explore.html

explore: explorer ## serve the site on localhost (EXPLORE_PORT=8000) and print the explorer's address
	$(PY) -m publish.explore serve --site $(SITE_DIR) --port $(EXPLORE_PORT)

bench: $(STAMP_PIP) ## every speed figure against its reference or target, in one run: the model's, then bench-waits (quiet machine: about 40 minutes)
	@$(MAKE) --no-print-directory captures
	$(PY) scripts/bench.py --captures $(CAPTURES)
	$(PY) scripts/bench_waits.py

bench-waits: $(STAMP_PIP) ## what people wait for, each against its target: the suite, your own film from nothing, its exports, a one-chapter change
	$(PY) scripts/bench_waits.py

bench-explore: explorer ## time the explorer in headless Chromium: model load, first picture, download size
	$(PY) -m publish.explore_bench --site $(SITE_DIR)

# ----------------------------------------------------------------------------- the model

model: $(STAMP_PIP) ## train the embedded text-to-image model (python -m pipeline train)
	$(PY) -m pipeline train

latent-model: $(STAMP_PIP) ## train the latent twin, autoencoder then latent UNet, on the CPU (python -m pipeline train-latent)
	$(PY) -m pipeline train-latent

judge: $(STAMP_PIP) ## train the judge that scores generated pictures (python -m pipeline judge)
	$(PY) -m pipeline judge

colour-judge: $(STAMP_PIP) ## train the colour judge that reads which colour each of two things wears (python -m pipeline colour-judge)
	$(PY) -m pipeline colour-judge

evaluate: $(STAMP_PIP) ## measure the model's pictures with the judge (python -m pipeline evaluate)
	$(PY) -m pipeline evaluate

# ----------------------------------------------------------------------------- cleaning

clean: ## remove renders, captures and caches (keeps .venv and training checkpoints)
	rm -rf media/videos media/images media/texts media/Tex media/chapters media/subtitles \
	  media/voiceovers media/captures media/film.* media/.film-settings media/.quality $(CHAPTER_INPUTS) \
	  media/clips media/site media/slides media/site-screenshot.png media/films media/.film-source .pytest_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
	@# the UNets OpenVINO converted (pipeline/openvino_unet.py): only the entries it writes, named by their key
	cache="$${LATENT_WALK_CACHE:-$$HOME/.cache/latent-walk}/openvino"; if [ -d "$$cache" ]; then \
	  find "$$cache" -mindepth 1 -maxdepth 1 -type d -regextype posix-extended \
	    -regex '.*/([0-9a-f]{24}|\.converting-[^/]*)' -exec rm -rf {} +; fi
	@# labels' outlines (scenes/text_cache.py): the files it writes, named by their key, and its leftovers
	cache="$${LATENT_WALK_CACHE:-$$HOME/.cache/latent-walk}/text-outlines"; if [ -d "$$cache" ]; then \
	  find "$$cache" -mindepth 1 -maxdepth 1 -type f -regextype posix-extended \
	    -regex '.*/([0-9a-f]{32}\.npz|\.tmp-[0-9]+-[0-9a-f]{32}\.npz.*\.npz)' -delete; fi

distclean: clean ## also remove .venv and node_modules, so the next make sets everything up again
	rm -rf $(VENV) node_modules
