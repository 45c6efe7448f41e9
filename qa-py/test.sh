#!/usr/bin/env bash
# Builds the qa_engine wheel into a venv (qa-py/.venv) and tests it: mypy stubtest, pytest.
# Needs python3 (3.9 or later), cargo, and PyPI and crates.io on the network the first time.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"

python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
py=.venv/bin/python
# the maturin build backend runs the `maturin` binary of the venv
export PATH="$here/.venv/bin:$PATH"
"$py" -m pip install --quiet --disable-pip-version-check --upgrade \
  "maturin>=1.8,<2" "pytest>=7" "mypy>=1.10" "pandas>=1.5,<3" "pyarrow>=14" "polars>=1"

# The release wheel, built by cargo in the workspace's target dir (incremental on reruns).
"$py" -m pip install --quiet --disable-pip-version-check --no-build-isolation \
  --force-reinstall --no-deps .

echo "-- stubtest"
"$py" -m mypy.stubtest qa_engine
echo "-- mypy --strict on the tests and examples (the stubs in use)"
"$py" -m mypy --strict tests ../examples/python
echo "-- pytest"
# test_spark.py and test_ray.py: qa-py/test-scale.sh runs them (and installs what they need)
"$py" -m pytest -q tests --ignore=tests/test_spark.py --ignore=tests/test_ray.py "$@"
