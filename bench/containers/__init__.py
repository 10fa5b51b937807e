"""Docker for stage 05: images (built offline when no registry answers), running containers with limits, and
compose stacks."""
