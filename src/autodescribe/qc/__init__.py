"""Quality control: the checks `autodescribe check` runs on any script, ours or another tool's."""
