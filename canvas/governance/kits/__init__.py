"""Brand kits: a team's locked palette, approved references, prompt template and locks.

``models`` (rows; re-exported by canvas.models), ``content`` (the shape of one version,
no Django), ``services`` (create, edit = new version, references, a board's kit),
``enforcement`` (what a kit does to every job spec: canvas.jobs.queue.normalise_spec calls
it), ``references`` (what drift scoring reads of a kit), ``api`` and ``pages`` (edges).
See docs/governance.md "Brand kits".
"""
