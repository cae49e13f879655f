"""The command line lists its commands."""
import subprocess


def test_help_lists_serve(hilo_bin):
    out = subprocess.run([hilo_bin, "--help"], capture_output=True, text=True, check=True).stdout
    assert "serve" in out
