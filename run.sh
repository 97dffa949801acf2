#!/usr/bin/env bash
# ./run.sh          set up on first use, then materialize new and changed playlists and print where the pages are
# ./run.sh --all    the same, but refresh every playlist even when it did not change
# ./run.sh --recluster  the same as --all, with every playlist clustered afresh (docs/identity.md)
# ./run.sh login    authorize your Spotify app once (see README, "Use your Spotify account")
# ./run.sh test     run the tests (the command CI runs)
# ./run.sh ui       the Dagster UI and daemon on http://127.0.0.1:3000 (sensor, schedule, backfills); PORT=N moves it
# ./run.sh lock     rewrite requirements.lock with the newest versions pyproject.toml allows (README, "Running it on a server")
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
  if [ ! -f .venv/installed ] || [ pyproject.toml -nt .venv/installed ] || [ requirements.lock -nt .venv/installed ]; then
    echo "Installing playlist_assets and its dependencies (about a minute) ..."
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e '.[dev]' -c requirements.lock
    touch .venv/installed
  fi
  export DAGSTER_HOME="${DAGSTER_HOME:-$PWD/.dagster_home}"
  mkdir -p "$DAGSTER_HOME"
  write_instance_settings "$DAGSTER_HOME/dagster.yaml"
  export PATH="$PWD/.venv/bin:$PATH"
}

# dagster.yaml into DAGSTER_HOME, with PostgreSQL storage whenever DAGSTER_PG_HOST is set, unless the copy
# there is the user's own (its first line is not the shipped file's first line).
write_instance_settings() {
  if [ -f "$1" ] && [ "$(head -n 1 "$1")" != "$(head -n 1 dagster.yaml)" ]; then
    return
  fi
  if [ -n "${DAGSTER_PG_HOST:-}" ]; then
    export DAGSTER_PG_PORT="${DAGSTER_PG_PORT:-5432}"
    cat dagster.yaml deploy/dagster.postgres.yaml >"$1.$$"
  else
    cp dagster.yaml "$1.$$"
  fi
  mv "$1.$$" "$1"  # whole, for processes starting beside this one (webserver, daemon)
}

# requirements.lock from a fresh environment with the newest versions pyproject.toml allows (plus any
# requirement given, e.g. dagster==1.13.30); run the tests on it before committing it.
lock() {
  rm -rf .venv-lock
  "$(find_python)" -m venv .venv-lock
  .venv-lock/bin/python -m pip install --quiet --upgrade pip
  .venv-lock/bin/python -m pip install --quiet -e '.[dev]' "$@"
  {
    echo "# Exact versions that ./run.sh, CI and deploy/Dockerfile install; rewrite with ./run.sh lock."
    .venv-lock/bin/python -m pip freeze --exclude-editable
  } >requirements.lock
  rm -rf .venv-lock
  echo "requirements.lock rewritten; ./run.sh test installs it and runs the tests"
}

if [ "${1:-}" = lock ]; then
  shift
  lock "$@"
  exit
fi
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
