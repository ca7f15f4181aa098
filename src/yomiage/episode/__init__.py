"""An episode folder's build: the job, planning, synthesis, assembly and the folder's records."""
