"""What goes out with the MP3: tags, cover, chapters.json and transcripts, feed, server."""
