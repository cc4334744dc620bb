#!/usr/bin/env bash
# Production serving on one machine: gunicorn workers and the task worker, until stopped.
#
#   WENGANG_SECRET_KEY=… WENGANG_FIELD_KEY=… WENGANG_AUDIT_KEY=… \
#   DATABASE_URL=postgres://wengang@127.0.0.1:5432/wengang WENGANG_WORKERS=5 deploy/serve-prod.sh
#
# Checks the secrets and the database schema first and refuses to start without them;
# collects static files (hashed, compressed) into WENGANG_DATA_DIR/static; then runs
# gunicorn (deploy/gunicorn.conf.py) and the task worker `wengang manage task_worker` side by
# side. If either stops, the other is stopped too, so a supervisor (systemd) restarts both.
# The worker outlives a database restart and re-queues tasks a killed worker left running
# (wengang.web.worker): django_tasks_db's plain db_worker died on the restart, and took
# gunicorn down with it.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${WENGANG_VENV:-.venv}/bin"
export WENGANG_DEBUG=0 DJANGO_SETTINGS_MODULE=wengang.settings

missing=()
for name in WENGANG_SECRET_KEY DATABASE_URL WENGANG_FIELD_KEY WENGANG_AUDIT_KEY; do
  [ -n "${!name:-}" ] || missing+=("$name")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "未设置：${missing[*]}（生产环境的密钥和数据库只从环境变量读取，见 docs/deployment.md）" >&2
  echo "not set: ${missing[*]} (production secrets and the database come from the environment only; see docs/deployment.md)" >&2
  exit 2
fi
[ -n "${WENGANG_SMS_URL:-}" ] || echo "warning: WENGANG_SMS_URL not set: enterprise login codes cannot be sent" >&2

if ! "$BIN/wengang" manage migrate --check >/dev/null; then
  echo "数据库结构不是最新：请先运行 wengang manage migrate / the database schema is not up to date: run \`wengang manage migrate\` first" >&2
  "$BIN/wengang" manage showmigrations --plan | grep -F '[ ]' >&2 || true
  exit 3
fi
# Collect (hash, compress) static files once per release; WENGANG_COLLECTSTATIC=0 skips it
# when the release step already did (it takes a minute: every file is compressed).
if [ "${WENGANG_COLLECTSTATIC:-1}" = 1 ]; then
  "$BIN/wengang" manage collectstatic --noinput --verbosity 0
fi

"$BIN/wengang" manage task_worker --verbosity 1 &
worker=$!
"$BIN/gunicorn" wengang.wsgi:application --config deploy/gunicorn.conf.py &
server=$!
stop() { kill -TERM "$server" "$worker" 2>/dev/null || true; wait "$server" "$worker" 2>/dev/null || true; }
trap 'stop; exit 0' INT TERM
set +e
wait -n "$server" "$worker"
status=$?
stop
exit "$status"
