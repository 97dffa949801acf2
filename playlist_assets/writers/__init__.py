"""What leaves the process: the files of the output folder (``files``)."""
