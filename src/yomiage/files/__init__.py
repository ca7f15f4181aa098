"""Files a user names or the tool writes: opened safely, written in one step, YAML read safely."""
