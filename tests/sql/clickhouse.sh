# Sourced by tests/sql/run.sh and bench/sql_scale.sh: starts a ClickHouse server of our own
# from the directory $1 (config from tests/sql/clickhouse/, 127.0.0.1, free ports) and sets
# CH_PID and CH_PORT; stop_clickhouse stops it. Needs a fail() function from the caller.

CH_PID=
CH_PORT=

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }

start_clickhouse() {
    local dir=$1 conf
    conf=$(dirname "${BASH_SOURCE[0]}")/clickhouse
    command -v clickhouse-server >/dev/null || fail "clickhouse-server is not installed: scripts/install-deps"
    command -v clickhouse-client >/dev/null || fail "clickhouse-client is not installed: scripts/install-deps"
    mkdir -p "$dir"
    CH_PORT=$(free_port)
    local http
    http=$(free_port)
    sed -e "s|@DIR@|$dir|g" -e "s|@TCP@|$CH_PORT|g" -e "s|@HTTP@|$http|g" "$conf/config.xml" >"$dir/config.xml"
    cp "$conf/users.xml" "$dir/users.xml"
    clickhouse-server --config-file="$dir/config.xml" >"$dir/stdout.log" 2>&1 &
    CH_PID=$!
    for _ in $(seq 1 150); do
        clickhouse-client --host 127.0.0.1 --port "$CH_PORT" --query "SELECT 1" >/dev/null 2>&1 && return 0
        kill -0 "$CH_PID" 2>/dev/null || fail "ClickHouse exited at start: $(tail -5 "$dir/error.log" "$dir/stdout.log" 2>/dev/null)"
        sleep 0.2
    done
    fail "ClickHouse did not answer within 30 s: $(tail -5 "$dir/error.log" 2>/dev/null)"
}

stop_clickhouse() {
    if [ -n "$CH_PID" ] && kill -0 "$CH_PID" 2>/dev/null; then
        kill "$CH_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$CH_PID" 2>/dev/null || break; sleep 0.2; done
        kill -9 "$CH_PID" 2>/dev/null || true
    fi
}
