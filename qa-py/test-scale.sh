#!/usr/bin/env bash
# The Spark and Ray tests (tests/test_spark.py, tests/test_ray.py): qa_engine.spark on a local[2]
# Spark session and qa_engine.ray on a local Ray with two CPUs. Runs after qa-py/test.sh and
# reuses its venv (qa-py/.venv) and the wheel it built; installs what is missing: Java 17
# (Debian's openjdk-17-jre-headless, with apt-get, when `java` is absent; needs root) and
# pyspark 4 (with pandas<3), ray[data] and pyarrow into the venv. Prints how long the installs
# and the tests took (docs/scale.md has the figures).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
py=.venv/bin/python
export PATH="$here/.venv/bin:$PATH"

# The wheel qa-py/test.sh installed; built here only when missing or older than the Python
# sources (this script run alone after an edit).
stale=0
site="$("$py" -c 'import os, qa_engine; print(os.path.dirname(qa_engine.__file__))' 2>/dev/null)" || stale=1
if [ "$stale" = 0 ]; then
  for f in python/qa_engine/*.py; do
    cmp -s "$f" "$site/$(basename "$f")" || stale=1
  done
fi
if [ "$stale" = 1 ]; then
  echo "-- building the wheel (qa-py/test.sh had not, or the sources changed since)"
  [ -x "$py" ] || "${PYTHON:-python3}" -m venv .venv
  "$py" -m pip install --quiet --disable-pip-version-check "maturin>=1.8,<2" "pytest>=7"
  "$py" -m pip install --quiet --disable-pip-version-check --no-build-isolation \
    --force-reinstall --no-deps .
fi

start=$SECONDS
if ! command -v java >/dev/null 2>&1; then
  echo "-- java: installing Debian's openjdk-17-jre-headless"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq openjdk-17-jre-headless >/dev/null
fi
"$py" -m pip install --quiet --disable-pip-version-check \
  "pyspark>=4,<5" "pandas>=2,<3" "ray[data]>=2.9" "pyarrow>=14"
installs=$((SECONDS - start))
echo "-- installs: ${installs} s"

start=$SECONDS
QA_SCALE_TESTS=1 "$py" -m pytest -q -p no:cacheprovider tests/test_spark.py tests/test_ray.py "$@"
echo "-- spark and ray tests: $((SECONDS - start)) s (installs ${installs} s)"
