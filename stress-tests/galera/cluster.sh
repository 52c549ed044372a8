#!/usr/bin/env bash
# A MariaDB Galera cluster of three nodes on 127.0.0.1, for the Galera races (GaleraRaceTest) and
# by hand. Everything lives in one directory, which `stop` removes.
#
#   cluster.sh install              install galera-4, mariadb-server, mariadb-client and rsync if
#                                   missing (as root only); exit 0 if a cluster can run, 3 if not
#   cluster.sh check                exit 0 if the packages are there, 3 (saying so) if not
#   cluster.sh start DIR [NODES]    a cluster of NODES nodes (default 3) in DIR; NODES=1 is a plain
#                                   server (wsrep off) with the same settings, the yardstick
#   cluster.sh status DIR           each node's state, cluster size and SQL port
#   cluster.sh kill DIR N           SIGKILL node N's mariadbd
#   cluster.sh rejoin DIR N         start node N again (its position recovered, so that it asks for
#                                   IST) and wait until the cluster has every node Synced
#   cluster.sh stop DIR             stop every node (SIGKILL after 30 s) and remove DIR (with
#                                   GALERA_KEEP_LOGS=D set, the nodes' logs are copied to D first)
#
# `start` prints the SQL ports, one line "PORTS p1 p2 p3", and leaves DIR/cluster.env. The account
# capacity/capacity has every privilege, from 127.0.0.1 and localhost. Waits are bounded
# (GALERA_WAIT_SECONDS, default 180); a wait that runs out says what each node reported.
#
# Traps met on the way (see docs/scale-out.md): the nodes run as the `mysql` user, so that the
# rsync state transfer (which as root drops to `nobody`) writes what the server can read; a config
# file must not be world-writable (mariadbd ignores it); mariadb-install-db's anonymous users
# shadow 'user'@'%' for local connections, so they are dropped.
set -euo pipefail

WAIT_SECONDS=${GALERA_WAIT_SECONDS:-180}
PROVIDER=/usr/lib/galera/libgalera_smm.so

die() { echo "cluster.sh: $*" >&2; exit 1; }

available() {
    [[ -x /usr/sbin/mariadbd && -f $PROVIDER && -x /usr/bin/mariadb-install-db && -x /usr/bin/mariadb ]] \
        && command -v rsync >/dev/null && id mysql >/dev/null 2>&1
}

cmd_install() {
    if [[ $(id -u) -ne 0 ]]; then
        # the nodes' directories are handed to the mysql user, and only root can do that
        echo "cluster.sh: the Galera cluster runs only as root (not root here)" >&2
        exit 3
    fi
    if available; then
        return 0
    fi
    if ! command -v apt-get >/dev/null; then
        echo "cluster.sh: galera-4 and mariadb-server are not installed, and there is no apt-get" >&2
        exit 3
    fi
    export DEBIAN_FRONTEND=noninteractive
    # a service the package would start is not wanted: this script starts its own servers
    local apt=(apt-get install -y -q galera-4 mariadb-server mariadb-client rsync)
    if ! timeout 600 "${apt[@]}" >&2; then
        timeout 300 apt-get update -q >&2 || true
        timeout 600 "${apt[@]}" >&2 || { echo "cluster.sh: apt-get install failed" >&2; exit 3; }
    fi
    available || { echo "cluster.sh: installed, yet mariadbd, $PROVIDER or the mysql user is missing" >&2; exit 3; }
}

# Sets PORT to a TCP port nobody listens on and this cluster did not take yet, below the kernel's
# ephemeral range: a port from that range can become the local port of any outgoing connection (a
# client failing over, a node calling the one that is down), and a killed node could then not bind
# it again when it rejoins (seen once: node1 never came back in 180 s).
TAKEN=" "
EPHEMERAL_LOW=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
if [[ ! $EPHEMERAL_LOW =~ ^[0-9]+$ || $EPHEMERAL_LOW -lt 12000 ]]; then
    EPHEMERAL_LOW=32768
fi
free_port() {
    for _ in $(seq 1 200); do
        PORT=$((10000 + RANDOM % (EPHEMERAL_LOW - 10000)))
        [[ $TAKEN == *" $PORT "* ]] && continue
        if ! (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null; then
            TAKEN+="$PORT "
            return
        fi
    done
    die "no free port found"
}

sql() { # node, statement: as root over the node's socket
    mariadb --no-defaults --socket="$DIR/node$1/mysqld.sock" -uroot -N -B -e "$2"
}

status_of() { # node -> "state size" ("up" for a plain server), or "down"
    local out
    if [[ $NODES -eq 1 ]]; then
        sql 1 "SELECT 1" >/dev/null 2>&1 && echo "up" || echo "down"
        return
    fi
    if out=$(sql "$1" "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME IN
            ('wsrep_local_state_comment', 'wsrep_cluster_size') ORDER BY VARIABLE_NAME DESC" 2>/dev/null); then
        echo $out
    else
        echo "down"
    fi
}

load_env() {
    [[ -f $DIR/cluster.env ]] || die "$DIR has no cluster (no cluster.env)"
    # shellcheck disable=SC1091
    source "$DIR/cluster.env"
}

write_config() { # node
    local n=$1 d="$DIR/node$1" sql_port gcomm_port ist_port sst_port
    sql_port=$(eval echo "\$SQL_PORT_$n"); gcomm_port=$(eval echo "\$GCOMM_PORT_$n")
    ist_port=$(eval echo "\$IST_PORT_$n"); sst_port=$(eval echo "\$SST_PORT_$n")
    mkdir -p "$d/data" "$d/tmp"
    cat > "$d/my.cnf" <<EOF
[mysqld]
user=mysql
datadir=$d/data
tmpdir=$d/tmp
socket=$d/mysqld.sock
pid-file=$d/mysqld.pid
log-error=$d/error.log
port=$sql_port
bind-address=127.0.0.1
skip-name-resolve
character-set-server=utf8mb4
max_connections=300
default_storage_engine=InnoDB
binlog_format=ROW
innodb_autoinc_lock_mode=2
innodb_buffer_pool_size=128M
innodb_log_file_size=48M
EOF
    if [[ $NODES -gt 1 ]]; then
        cat >> "$d/my.cnf" <<EOF
wsrep_on=ON
wsrep_provider=$PROVIDER
wsrep_cluster_name=capacity
wsrep_cluster_address=gcomm://$GCOMM_ADDRESSES
wsrep_node_name=node$n
wsrep_node_address=127.0.0.1
wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:$gcomm_port;ist.recv_addr=127.0.0.1:$ist_port;gcache.size=128M;evs.suspect_timeout=PT3S;evs.inactive_timeout=PT10S"
wsrep_sst_method=rsync
wsrep_sst_receive_address=127.0.0.1:$sst_port
EOF
    fi
    chmod 644 "$d/my.cnf"
}

launch() { # node, extra arguments: start mariadbd in the background, its own session
    local n=$1; shift
    setsid /usr/sbin/mariadbd --defaults-file="$DIR/node$n/my.cnf" "$@" \
        >>"$DIR/node$n/mariadbd.out" 2>&1 < /dev/null &
}

# Waits until every live node in $* is Synced in a cluster of size $want (for one plain server: up).
await_synced() {
    local want=$1; shift
    local deadline=$((SECONDS + WAIT_SECONDS)) all n seen
    while true; do
        all=1; seen=""
        for n in "$@"; do
            local s; s=$(status_of "$n")
            seen+=" node$n: $s;"
            if [[ $NODES -eq 1 ]]; then
                [[ $s != down ]] || all=0
            elif [[ $s != "Synced $want" ]]; then
                all=0
            fi
        done
        [[ $all -eq 1 ]] && return 0
        if [[ $SECONDS -ge $deadline ]]; then
            echo "cluster.sh: the cluster did not reach $want Synced node(s) in $WAIT_SECONDS s:$seen" >&2
            for n in "$@"; do
                echo "--- node$n error.log (last lines):" >&2
                tail -n 15 "$DIR/node$n/error.log" >&2 2>/dev/null || true
            done
            return 1
        fi
        sleep 0.5 # polls the servers' status until the deadline: no race is waited for here
    done
}

cmd_start() {
    NODES=${1:-3}
    [[ $NODES -ge 1 && $NODES -le 9 ]] || die "NODES must be 1 to 9, was $NODES"
    available || die "the packages are missing: run 'cluster.sh install' as root"
    [[ ! -e $DIR/cluster.env ]] || die "$DIR holds a cluster already"
    mkdir -p "$DIR"
    chmod 755 "$DIR"
    local n addresses=""
    {
        echo "NODES=$NODES"
        for n in $(seq 1 "$NODES"); do
            free_port; echo "SQL_PORT_$n=$PORT"
            free_port; echo "GCOMM_PORT_$n=$PORT"; addresses+="${addresses:+,}127.0.0.1:$PORT"
            free_port; echo "IST_PORT_$n=$PORT"
            free_port; echo "SST_PORT_$n=$PORT"
        done
        echo "GCOMM_ADDRESSES=$addresses"
    } > "$DIR/cluster.env"
    load_env
    for n in $(seq 1 "$NODES"); do
        write_config "$n"
        chown -R mysql:mysql "$DIR/node$n"
        mariadb-install-db --defaults-file="$DIR/node$n/my.cnf" --skip-test-db \
            --auth-root-authentication-method=normal > "$DIR/node$n/install.log" 2>&1 \
            || { cat "$DIR/node$n/install.log" >&2; die "mariadb-install-db failed for node$n"; }
    done
    if [[ $NODES -eq 1 ]]; then
        launch 1
        await_synced 1 1
    else
        launch 1 --wsrep-new-cluster
        await_synced 1 1
    fi
    # the account, made before the others join: their state transfer copies it. The anonymous
    # users would shadow it for connections from this host: they go.
    local anonymous
    for anonymous in $(sql 1 "SELECT QUOTE(Host) FROM mysql.user WHERE User = ''"); do
        sql 1 "DROP USER ''@$anonymous"
    done
    sql 1 "CREATE USER 'capacity'@'127.0.0.1' IDENTIFIED BY 'capacity';
           GRANT ALL ON *.* TO 'capacity'@'127.0.0.1' WITH GRANT OPTION;
           CREATE USER 'capacity'@'localhost' IDENTIFIED BY 'capacity';
           GRANT ALL ON *.* TO 'capacity'@'localhost' WITH GRANT OPTION;
           CREATE DATABASE capacity"
    for n in $(seq 2 "$NODES"); do
        launch "$n"
        # one joiner at a time: node 1 is the donor of each state transfer
        await_synced "$n" $(seq 1 "$n")
    done
    echo -n "PORTS"
    for n in $(seq 1 "$NODES"); do echo -n " $(eval echo "\$SQL_PORT_$n")"; done
    echo
}

cmd_status() {
    load_env
    local n
    for n in $(seq 1 "$NODES"); do
        echo "node$n port $(eval echo "\$SQL_PORT_$n"): $(status_of "$n")"
    done
}

pid_of() { # node -> the pid of its mariadbd, if it runs (checked against its command line)
    local f="$DIR/node$1/mysqld.pid" pid
    [[ -f $f ]] || return 1
    pid=$(cat "$f")
    [[ -r /proc/$pid/cmdline ]] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -- "--defaults-file=$DIR/node$1/my.cnf" \
        && echo "$pid"
}

cmd_kill() {
    load_env
    local n=$1 pid
    pid=$(pid_of "$n") || die "node$n is not running"
    kill -KILL "$pid"
    local deadline=$((SECONDS + 30))
    while [[ -d /proc/$pid ]]; do
        [[ $SECONDS -lt $deadline ]] || die "node$n (pid $pid) still there 30 s after SIGKILL"
        sleep 0.1
    done
    echo "killed node$n (pid $pid)"
}

cmd_rejoin() {
    load_env
    local n=$1 position
    ! pid_of "$n" >/dev/null || die "node$n is running"
    # the position its data reached, so that a donor can send the missing writesets (IST)
    # instead of the whole data directory (SST)
    runuser -u mysql -- /usr/sbin/mariadbd --defaults-file="$DIR/node$n/my.cnf" --wsrep-recover \
        --log-error="$DIR/node$n/recover.log" >/dev/null 2>&1 || true
    position=$(sed -n 's/.*WSREP: Recovered position: *\([0-9a-f-]*:-\?[0-9]*\).*/\1/p' "$DIR/node$n/recover.log" | tail -n 1)
    if [[ -n $position ]]; then
        launch "$n" --wsrep-start-position="$position"
    else
        launch "$n"
    fi
    await_synced "$NODES" $(seq 1 "$NODES")
    local how="SST"
    grep -q "IST received" "$DIR/node$n/error.log" && how="IST"
    echo "node$n rejoined (recovered position ${position:-none}, state transfer: $how)"
}

cmd_stop() {
    [[ -d $DIR ]] || return 0
    if [[ -f $DIR/cluster.env ]]; then
        load_env
        local n pid pids=()
        for n in $(seq "$NODES" -1 1); do
            if pid=$(pid_of "$n"); then
                kill -TERM "$pid"
                pids+=("$pid")
            fi
        done
        local deadline=$((SECONDS + 30))
        for pid in "${pids[@]}"; do
            while [[ -d /proc/$pid ]]; do
                if [[ $SECONDS -ge $deadline ]]; then
                    kill -KILL "$pid" 2>/dev/null || true
                fi
                sleep 0.2
            done
        done
    fi
    if [[ -n ${GALERA_KEEP_LOGS:-} ]]; then
        # the nodes' logs outlive the cluster, for a failure to be read afterwards
        local keep="$GALERA_KEEP_LOGS/$(basename "$DIR")" f
        mkdir -p "$keep"
        for f in "$DIR"/node*/error.log "$DIR"/node*/mariadbd.out; do
            [[ -f $f ]] && cp "$f" "$keep/$(basename "$(dirname "$f")")-$(basename "$f")"
        done
    fi
    rm -rf "$DIR"
}

command=${1:-}
case $command in
    install) cmd_install ;;
    check) available || { echo "cluster.sh: galera-4 and mariadb-server are not installed (cluster.sh install, as root, installs them)" >&2; exit 3; } ;;
    start) DIR=${2:?DIR}; cmd_start "${3:-3}" ;;
    status) DIR=${2:?DIR}; cmd_status ;;
    kill) DIR=${2:?DIR}; cmd_kill "${3:?node}" ;;
    rejoin) DIR=${2:?DIR}; cmd_rejoin "${3:?node}" ;;
    stop) DIR=${2:?DIR}; cmd_stop ;;
    *) sed -n '2,20p' "$0" >&2; exit 2 ;;
esac
