"""Data preparation: slice files -> HDF5 with a resolution pyramid -> XDMF that ParaView reads.

- :mod:`~movie_compiler.data.readers` and :mod:`~movie_compiler.data.formats`: find, order
  and check the input slices (raw, TIFF, NIfTI) and stream them one slice at a time;
- :mod:`~movie_compiler.data.pyramid`: 2x block means, one slice at a time;
- :mod:`~movie_compiler.data.store`: the HDF5 layout (chunks, levels, attributes) and how a
  file is read back (which dataset, which level, which hyperslab);
- :mod:`~movie_compiler.data.writer` and :mod:`~movie_compiler.data.journal`: the output file
  and its checkpoints;
- :mod:`~movie_compiler.data.stream`: the reader thread and the progress bar;
- :mod:`~movie_compiler.data.convert`: the conversion, stage by stage;
- :mod:`~movie_compiler.data.xdmf`: XDMF descriptions with the seed's normalised geometry;
- :mod:`~movie_compiler.data.dataset`: the bridge from a scene to its data.

See docs/data-preparation.md.
"""

DTYPES = ("uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "float64")
"""The element types moviec handles, as numpy names (the scene's `dataset.dtype` values)."""
