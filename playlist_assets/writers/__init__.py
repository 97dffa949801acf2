"""What leaves the process: the files of the output folder (``files``), playlists written to Spotify (``spotify``)."""
