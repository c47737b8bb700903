"""Media I/O: probing and decoding with PyAV, filter graphs with the ffmpeg binary."""
