#!/usr/bin/env bash
# ./run.sh          set up on first use, then materialize new and changed playlists and print where the pages are
# ./run.sh --all    the same, but refresh every playlist even when it did not change
# ./run.sh login    authorize your Spotify app once (see README, "Use your Spotify account")
# ./run.sh test     run the tests (the command CI runs)
# ./run.sh ui       the Dagster UI and daemon on http://127.0.0.1:3000 (sensor, schedule, backfills); PORT=N moves it
# ./run.sh <cmd>    any command inside the project's environment, e.g. ./run.sh dagster definitions validate
set -euo pipefail
cd "$(dirname "$0")"

find_python() {
  for candidate in "${PYTHON:-}" python3 python3.13 python3.12 python3.11; do
    if [ -n "$candidate" ] && command -v "$candidate" >/dev/null &&
      "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$candidate"
      return
    fi
  done
  echo "playlist_assets needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)" >&2
  exit 1
}

setup() {
  if [ ! -x .venv/bin/python ]; then
    echo "Creating the virtual environment in .venv/ ..."
    "$(find_python)" -m venv .venv
  fi
  if [ ! -f .venv/installed ] || [ pyproject.toml -nt .venv/installed ]; then
    echo "Installing playlist_assets and its dependencies (about a minute) ..."
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e '.[dev]'
    touch .venv/installed
  fi
  if [ -z "${DAGSTER_HOME:-}" ]; then
    export DAGSTER_HOME="$PWD/.dagster_home"
    mkdir -p "$DAGSTER_HOME"
    cp dagster.yaml "$DAGSTER_HOME/dagster.yaml"
  elif [ ! -f "$DAGSTER_HOME/dagster.yaml" ]; then
    mkdir -p "$DAGSTER_HOME"
    cp dagster.yaml "$DAGSTER_HOME/dagster.yaml"
  fi
  export PATH="$PWD/.venv/bin:$PATH"
}

setup
case "${1:-}" in
  "" | -*) exec playlist-assets "$@" ;;
  login) shift; exec playlist-assets login "$@" ;;
  test) shift; exec python -m pytest "$@" ;;
  ui)
    # What `dagster dev` starts, without its warnings: it is superseded by `dg dev` (which needs the dg project
    # layout) and it points at this folder's dagster.yaml, which setup() already copied into DAGSTER_HOME.
    shift
    dagster-daemon run -w workspace.yaml &
    daemon=$!
    trap 'kill "$daemon" 2>/dev/null; wait "$daemon"' EXIT
    dagster-webserver --host 127.0.0.1 --port "${PORT:-3000}" -w workspace.yaml "$@"
    ;;
  *) exec "$@" ;;
esac
