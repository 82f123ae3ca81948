"""The film's three ways out, made from the chapters `make video` already rendered.

- ``clips``: every chapter as web video (MP4 with fast start, WebM), a poster, subtitles and a
  silent looping preview, in ``media/clips/``.
- ``site``: one static page, ``media/site/index.html``, that embeds every clip.
- ``slides``: a manim-slides deck with a slide per narration block, and one offline HTML file.

Run as ``python -m publish clips|site|slides``; the Makefile's targets of the same names do.
"""
