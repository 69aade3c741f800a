"""Domain operations of the canvas app. Views, API and consumers call these, nothing else."""
