"""The source layout's promises: no include goes up from a lower room of
src/common to a higher one (src/README.md names the rooms)."""
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_rooms_include_only_lower_rooms():
    r = subprocess.run([os.path.join(ROOT, "tools", "check-rooms.sh")], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "no include goes up" in r.stdout
