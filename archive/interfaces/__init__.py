"""The interfaces: the command line (with its progress bar) and the app's view state and labels (app.py lays the
page out). Thin layers: every decision is made by the library below."""
