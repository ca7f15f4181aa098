"""The script builder: a Document's sections given roles and reordered into an episode."""
