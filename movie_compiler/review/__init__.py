"""Review of scenes and scene diffs: the plan table, the semantic diff, preview images, the
HTML report."""
