"""The film's chapters (``chNN_name.py`` with ``chNN_name.narration.toml``) and what they share: the base scene, words, pictures, maps and charts, spoken numbers, the palette."""
