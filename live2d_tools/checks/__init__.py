"""The Live2D checks, one module per file kind, over the checker core (``_core``).

``model3``, ``moc3``, ``textures``, ``motion3``, ``exp3``, ``physics3``, ``pose3``, ``cdi3``, ``userdata3``,
``crossrefs``, ``emotions`` and ``cubism2`` each check one kind of file (or one cross-file concern) and import
only ``_core``, never each other; ``live2d_tools.validate`` walks the model and calls them in order. Rule ids
and texts live in ``live2d_tools.rules`` alone. See docs/architecture.md ("a Live2D rule").
"""
