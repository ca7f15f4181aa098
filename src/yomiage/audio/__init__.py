"""Audio: samples between stages, ffmpeg, loudness, mastering, MP3 frames and the timeline."""
