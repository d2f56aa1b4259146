"""privateapi's command-line front end: argument parsing and rendering only.

Every check and decision lives in the :mod:`privateapi` library; the modules here
turn arguments into library calls and library results into text or JSON.
"""
