"""The film's sampling settings, in a module that imports nothing, so the experiment registry and the
command line's help read them without loading torch: steps of a walk and the classifier-free guidance scale."""

STEPS = 25
GUIDANCE = 2.0
