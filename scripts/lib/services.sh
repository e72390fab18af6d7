# Sourced by run.sh and test.sh: a private PostgreSQL and RabbitMQ on loopback, under a git-ignored
# folder, on ports that do not clash with system instances. Each function prints nothing on success
# but what a person needs to see.
#
#   services_start DIR PG_PORT AMQP_PORT   -> exports DATABASE_URL and AMQP_URL
#   services_stop DIR
#   rabbit_stop DIR / rabbit_start DIR AMQP_PORT   (tests stop and start the broker)

PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"

pg_start() {
    # ADDR (default 127.0.0.1): the address it listens on; another one (a test host's, issue 21)
    # also lets that host's network in.
    local dir="$1" port="$2" addr="${3:-127.0.0.1}"
    mkdir -p "$dir"
    if [ ! -s "$dir/pgdata/PG_VERSION" ]; then
        rm -rf "$dir/pgdata"
        install -d -o postgres -g postgres "$dir/pgdata" "$dir/pgsock" "$dir/pglog"
        su postgres -s /bin/sh -c "'$PG_BIN/initdb' -D '$dir/pgdata' -A trust -U postgres -E UTF8 >/dev/null"
        cat >> "$dir/pgdata/postgresql.conf" <<CONF
listen_addresses = '$addr'
port = $port
unix_socket_directories = '$dir/pgsock'
max_connections = 300
shared_buffers = 256MB
# Statement counts for tests and benchmarks (e.g. "a burst of reads costs one query").
shared_preload_libraries = 'pg_stat_statements'
CONF
        [ "$addr" = 127.0.0.1 ] || echo "host all all $addr/24 trust" >> "$dir/pgdata/pg_hba.conf"
    fi
    install -d -o postgres -g postgres "$dir/pglog"
    chown -R postgres:postgres "$dir/pgdata" "$dir/pgsock"
    su postgres -s /bin/sh -c "'$PG_BIN/pg_ctl' -D '$dir/pgdata' -l '$dir/pglog/postgres.log' -w -t 60 start >/dev/null" || {
        echo "PostgreSQL did not start; see $dir/pglog/postgres.log" >&2
        tail -n 20 "$dir/pglog/postgres.log" >&2
        return 1
    }
    su postgres -s /bin/sh -c "psql -h $addr -p $port -U postgres -tAc \"SELECT 1 FROM pg_database WHERE datname='checkout'\"" | grep -q 1 ||
        su postgres -s /bin/sh -c "createdb -h $addr -p $port -U postgres checkout"
    export DATABASE_URL="postgresql://postgres@$addr:$port/checkout"
}

pg_stop() {
    local dir="$1"
    [ -f "$dir/pgdata/postmaster.pid" ] && su postgres -s /bin/sh -c "'$PG_BIN/pg_ctl' -D '$dir/pgdata' -m fast -w stop >/dev/null" || true
}

# ADDR (default 127.0.0.1): the address the node listens on. Another one (a test host's, issue 21) names
# the node by it (checkout@ADDR, a long name), so that nodes on other hosts can reach it.
rabbit_env() {
    local dir="$1" port="$2" addr="${3:-127.0.0.1}"
    if [ "$addr" = 127.0.0.1 ]; then
        export RABBITMQ_NODENAME="checkout-$port@localhost"
        unset RABBITMQ_USE_LONGNAME
    else
        export RABBITMQ_NODENAME="checkout@$addr" RABBITMQ_USE_LONGNAME=true
    fi
    export RABBITMQ_NODE_IP_ADDRESS="$addr"
    export RABBITMQ_NODE_PORT="$port"
    export RABBITMQ_DIST_PORT="$((port + 1))"
    export RABBITMQ_MNESIA_BASE="$dir/rabbitmq/mnesia"
    export RABBITMQ_LOG_BASE="$dir/rabbitmq/log"
    export RABBITMQ_PID_FILE="$dir/rabbitmq/rabbit.pid"
    export RABBITMQ_ENABLED_PLUGINS_FILE="$dir/rabbitmq/enabled_plugins"
    export RABBITMQ_CONFIG_FILE="$dir/rabbitmq/rabbitmq"
}

rabbit_start() {
    local dir="$1" port="$2" addr="${3:-127.0.0.1}"
    rabbit_env "$dir" "$port" "$addr"
    if port_listening "$port" "$addr"; then
        echo "port $port is already in use; stop what holds it or choose another AMQP port" >&2
        return 1
    fi
    mkdir -p "$dir/rabbitmq/mnesia" "$dir/rabbitmq/log"
    echo '[].' > "$dir/rabbitmq/enabled_plugins"
    cat > "$dir/rabbitmq/rabbitmq.conf" <<CONF
loopback_users = none
# A handler is bounded by its queue's time_limit; the broker's own guard is a backstop.
consumer_timeout = 3600000
CONF
    chown -R rabbitmq:rabbitmq "$dir/rabbitmq"
    # -detached fails silently here; run it in the background and wait for the node instead.
    nohup rabbitmq-server > "$dir/rabbitmq/stdout.log" 2>&1 &
    echo $! > "$dir/rabbitmq/launcher.pid"
    # await_startup fails at once while the node is not yet reachable, so poll it (about 10 s).
    local ok=0
    for _ in $(seq 1 120); do
        if rabbitmqctl -n "$RABBITMQ_NODENAME" -q await_startup --timeout 5 >/dev/null 2>&1; then ok=1; break; fi
        if ! kill -0 "$(cat "$dir/rabbitmq/launcher.pid")" 2>/dev/null; then break; fi
        sleep 0.5
    done
    if [ "$ok" != 1 ]; then
        echo "RabbitMQ did not start; see $dir/rabbitmq/log and $dir/rabbitmq/stdout.log" >&2
        tail -n 20 "$dir/rabbitmq/stdout.log" >&2
        return 1
    fi
    export AMQP_URL="amqp://guest:guest@$addr:$port/%2f"
}

port_listening() { (exec 3<>"/dev/tcp/${2:-127.0.0.1}/$1") 2>/dev/null; }

rabbit_stop() {
    local dir="$1" port="$2" addr="${3:-127.0.0.1}"
    rabbit_env "$dir" "$port" "$addr"
    rabbitmqctl -n "$RABBITMQ_NODENAME" -q stop >/dev/null 2>&1 || true
    if [ -f "$dir/rabbitmq/launcher.pid" ]; then
        local pid; pid="$(cat "$dir/rabbitmq/launcher.pid")"
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        rm -f "$dir/rabbitmq/launcher.pid"
    fi
    # The Erlang VM can outlive `rabbitmqctl stop` briefly; a restart before the port is free
    # fails with eaddrinuse. Wait for it, and kill the node if it lingers.
    for _ in $(seq 1 150); do port_listening "$port" "$addr" || return 0; sleep 0.2; done
    pkill -KILL -f -- "-sname $RABBITMQ_NODENAME" 2>/dev/null || pkill -KILL -f -- "$RABBITMQ_NODENAME" 2>/dev/null || true
    for _ in $(seq 1 50); do port_listening "$port" "$addr" || return 0; sleep 0.2; done
    echo "RabbitMQ on port $port would not stop" >&2
    return 1
}

# Our servers listen on ports inside Linux's ephemeral range (32768-60999): a client connection of
# an earlier run, lingering in TIME-WAIT on that local port, would make the server's bind fail. Ask the
# kernel not to hand these ports out as ephemeral ones (root only; harmless where it is refused).
reserve_ports() {
    local f=/proc/sys/net/ipv4/ip_local_reserved_ports current
    [ -w "$f" ] || return 0
    current="$(cat "$f")"
    local p
    for p in "$@"; do current="${current:+$current,}$p"; done
    echo "$current" > "$f" 2>/dev/null || true
}

services_start() {
    local dir="$1" pg_port="$2" amqp_port="$3"
    reserve_ports "$pg_port" "$amqp_port" "$((amqp_port + 1))"
    if [ -z "${DATABASE_URL:-}" ]; then
        echo "starting PostgreSQL on 127.0.0.1:$pg_port (data in $dir/pgdata)"
        pg_start "$dir" "$pg_port" || return 1
        STARTED_PG=1
    fi
    if [ -z "${AMQP_URL:-}" ]; then
        echo "starting RabbitMQ on 127.0.0.1:$amqp_port (data in $dir/rabbitmq)"
        rabbit_start "$dir" "$amqp_port" || return 1
        STARTED_RABBIT=1
    fi
}

services_stop() {
    local dir="$1" pg_port="$2" amqp_port="$3"
    [ "${STARTED_RABBIT:-0}" = 1 ] && rabbit_stop "$dir" "$amqp_port"
    [ "${STARTED_PG:-0}" = 1 ] && pg_stop "$dir"
    return 0
}
