#!/usr/bin/env bash
# One load scenario against the production server on this machine (127.0.0.1 only).
#
#   bench/load/run.sh status|confirm|officer|public|login|mixed [USERS] [DURATION]
#
# Needs the database of bench/load/prepare.py (LOAD_DB, LOAD_DIR). Steps: migrate the scratch
# database; log the scenario's people in (sessions.py); start the fake SMS gateway and
# deploy/serve-prod.sh (WORKERS gunicorn workers on PORT); run locust headless for DURATION
# (statistics reset once every user has started); print throughput and p50/p95/p99 per
# endpoint with the load average and the server's CPU time; stop everything it started.
set -euo pipefail
cd "$(dirname "$0")/../.."
SCENARIO="${1:?scenario: status, confirm, officer, public, login or mixed}"
USERS="${2:-40}"
DURATION="${3:-60s}"
LOAD_DB="${LOAD_DB:-postgres://postgres@127.0.0.1:5432/wg_ops_load}"
LOAD_DIR="$(realpath "${LOAD_DIR:-var-load}")"
PORT="${PORT:-8150}"
SMS_PORT="${SMS_PORT:-8190}"
BIN=.venv/bin
case "$SCENARIO" in
  status) CLASSES=StatusUser ;;
  confirm) CLASSES=ConfirmUser ;;
  officer) CLASSES=OfficerUser ;;
  public) CLASSES=PublicUser ;;
  login) CLASSES=LoginUser ;;
  mixed) CLASSES="StatusUser ConfirmUser OfficerUser PublicUser" ;;
  *) echo "unknown scenario $SCENARIO" >&2; exit 2 ;;
esac
[ -f "$LOAD_DIR/users.csv" ] || { echo "$LOAD_DIR/users.csv missing: run bench/load/prepare.py first" >&2; exit 2; }
"$BIN/python" -c "import locust" 2>/dev/null || "$BIN/pip" install --quiet -e ".[load]"

# The server's secrets: those prepare.py sealed accounts and keyed the audit chain with.
[ -f "$LOAD_DIR/secrets.env" ] || { echo "$LOAD_DIR/secrets.env missing: run bench/load/prepare.py first" >&2; exit 2; }
set -a
# shellcheck disable=SC1091
. "$LOAD_DIR/secrets.env"
DATABASE_URL="$LOAD_DB"
WENGANG_DEBUG=0
WENGANG_HTTPS=0            # TLS ends at the proxy in front; the test talks to gunicorn directly
WENGANG_TODAY="${WENGANG_TODAY:-2020-04-20}"
WENGANG_DATA_DIR="$LOAD_DIR/data"   # as prepare.py: snapshots, static files
WENGANG_BIND="127.0.0.1:$PORT"
WENGANG_WORKERS="${WORKERS:-4}"
WENGANG_SMS_URL="http://127.0.0.1:$SMS_PORT/"
LOAD_SMS="http://127.0.0.1:$SMS_PORT"
set +a
export LOAD_DIR
mkdir -p "$WENGANG_DATA_DIR" "$LOAD_DIR/results"
"$BIN/wengang" manage migrate --verbosity 0
case "$SCENARIO" in
  status|confirm|officer|mixed) "$BIN/python" bench/load/sessions.py --out "$LOAD_DIR" --enterprises "${SESSIONS:-20000}" ;;
esac

pids=()
stop() { for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap stop EXIT
"$BIN/python" bench/load/sms_gateway.py --port "$SMS_PORT" & pids+=($!)
setsid deploy/serve-prod.sh > "$LOAD_DIR/results/server.log" 2>&1 & pids+=($!)
serve_prod=$!
for _ in $(seq 1 240); do
  curl -fs -o /dev/null "http://127.0.0.1:$PORT/publicity/" && break
  sleep 1
done
curl -fs -o /dev/null "http://127.0.0.1:$PORT/publicity/" || { echo "server did not start; see $LOAD_DIR/results/server.log" >&2; exit 1; }

server_cpu() {  # user+sys seconds of our gunicorn (serve-prod's child) and its workers so far
  # (not `pgrep -f gunicorn | head -1`: another gunicorn on this machine may come first)
  ps -eo pid,ppid,cputimes,args | awk -v p="$(pgrep -P "$serve_prod" -f 'gunicorn wengang.wsgi')" \
    '$1 == p || $2 == p { s += $3 } END { print s + 0 }'
}
# PostgreSQL's share: the backends serving the load database (PostgreSQL names each process
# after its database), and Redis's (sessions, cards); in clock ticks, read from /proc.
database="${LOAD_DB##*/}"; database="${database%%\?*}"
cpu_of() {  # user+sys seconds of the given processes
  local ticks=0 pid
  for pid in "$@"; do
    [ -r "/proc/$pid/stat" ] && ticks=$((ticks + $(awk '{ print $14 + $15 }' "/proc/$pid/stat")))
  done
  awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN { print t / hz }'
}
database_cpu() { cpu_of $(pgrep -f "^postgres: .* $database ") ; }
redis_cpu() { cpu_of $(pgrep -x redis-server); }
stamp="$(date -u +%Y%m%dT%H%M%SZ)-$SCENARIO"
out="$LOAD_DIR/results/$stamp"
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
cpu_before="$(server_cpu)"; database_before="$(database_cpu)"; redis_before="$(redis_cpu)"
# shellcheck disable=SC2086
/usr/bin/time -f "%U %S" -o "$out.locust-cpu" "$BIN/locust" -f bench/load/locustfile.py --headless \
  -H "http://127.0.0.1:$PORT" -u "$USERS" -r "${SPAWN_RATE:-$USERS}" -t "$DURATION" \
  --reset-stats --csv "$out" --only-summary --loglevel WARNING $CLASSES > "$out.log" 2>&1 || true
cpu_after="$(server_cpu)"; database_after="$(database_cpu)"; redis_after="$(redis_cpu)"
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
"$BIN/python" bench/load/report.py "$out" --scenario "$SCENARIO" --users "$USERS" \
  --duration "$DURATION" --workers "$WENGANG_WORKERS" --load-before "$load_before" \
  --load-after "$load_after" --server-cpu "$(awk "BEGIN { print $cpu_after - $cpu_before }")" \
  --database-cpu "$(awk "BEGIN { print $database_after - $database_before }")" \
  --redis-cpu "$(awk "BEGIN { print $redis_after - $redis_before }")" \
  --locust-cpu "$(tail -1 "$out.locust-cpu")" | tee "$out.md"
