"""Run every bench script in bench/ (`make bench`); exit non-zero when any of them missed its targets."""

import subprocess
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent


def main() -> int:
    failed = []
    for script in sorted(BENCH_DIR.glob("*.py")):
        if script.name in {"run.py", "__init__.py", "province.py", "province_data.py", "fresh_database.py"}:
            continue
        print(f"=== {script.name} ===", flush=True)
        if subprocess.run([sys.executable, str(script)], check=False).returncode != 0:
            failed.append(script.name)
    if failed:
        print("missed targets: " + ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
