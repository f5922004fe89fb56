# shellcheck shell=bash
# Shared helpers for deploy/local/{up,down,status,reset,kafka-topics,kafka-delete-records,kafka-consumer-groups}.
# Sourced, never executed. Starts and stops a single-node Kafka (KRaft) and a
# ClickHouse server as plain background processes whose state lives in
# ${EARSHOT_LOCAL_DIR:-<repo>/.local} and whose downloads live in
# ${EARSHOT_CACHE_DIR:-<repo>/.cache}.

# ---------------------------------------------------------------------------
# Layout and settings (environment overrides are documented in deploy/README.md)

DEPLOY_DIR=$(cd -- "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")" && pwd -P)
REPO_ROOT=$(cd -- "$DEPLOY_DIR/../.." && pwd -P)

LOCAL_DIR=${EARSHOT_LOCAL_DIR:-$REPO_ROOT/.local}
CACHE_DIR=${EARSHOT_CACHE_DIR:-$REPO_ROOT/.cache}
LOG_DIR=$LOCAL_DIR/log
RUN_DIR=$LOCAL_DIR/run

KAFKA_VERSION=${EARSHOT_KAFKA_VERSION:-3.9.1}
KAFKA_HOME=$CACHE_DIR/kafka-$KAFKA_VERSION
KAFKA_LIBS=$KAFKA_HOME/libs
KAFKA_DIR=$LOCAL_DIR/kafka
KAFKA_PORT=${EARSHOT_KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${EARSHOT_KAFKA_CONTROLLER_PORT:-9093}
KAFKA_HEAP=${EARSHOT_KAFKA_HEAP:-512m}
# Listeners besides PLAINTEXT, for clients that must authenticate or
# encrypt as production clusters ask: SASL_SSL, SSL (TLS alone) and
# SASL_PLAINTEXT (SASL alone), and MTLS (TLS that wants the client's
# certificate), each off unless given a port. The TLS certificate is
# self-signed, $KAFKA_DIR/tls/ca.pem; the SASL user is earshot (PLAIN,
# SCRAM-SHA-256 and SCRAM-SHA-512), the password below; the client
# certificate MTLS trusts is $LOCAL_DIR/tls/client.pem (key client.key).
KAFKA_SASL_SSL_PORT=${EARSHOT_KAFKA_SASL_SSL_PORT:-}
KAFKA_SSL_PORT=${EARSHOT_KAFKA_SSL_PORT:-}
KAFKA_MTLS_PORT=${EARSHOT_KAFKA_MTLS_PORT:-}
KAFKA_SASL_PLAINTEXT_PORT=${EARSHOT_KAFKA_SASL_PLAINTEXT_PORT:-}
KAFKA_SASL_PASSWORD=${EARSHOT_KAFKA_SASL_PASSWORD:-earshot-local}
KAFKA_START_TIMEOUT=${EARSHOT_KAFKA_START_TIMEOUT:-120}

CH_DIR=$LOCAL_DIR/clickhouse
CH_TCP_PORT=${EARSHOT_CLICKHOUSE_TCP_PORT:-9000}
CH_HTTP_PORT=${EARSHOT_CLICKHOUSE_HTTP_PORT:-8123}
# A native-protocol port over TLS besides the plain one: off unless a port
# is given. Its self-signed certificate is $CH_DIR/tls/ca.pem. With
# EARSHOT_CLICKHOUSE_TLS_CLIENT_CERT=required it also wants the client's
# certificate: $LOCAL_DIR/tls/client.pem (key client.key), as Kafka's MTLS.
CH_TLS_PORT=${EARSHOT_CLICKHOUSE_TLS_PORT:-}
CH_TLS_CLIENT_CERT=${EARSHOT_CLICKHOUSE_TLS_CLIENT_CERT:-none}
CH_START_TIMEOUT=${EARSHOT_CLICKHOUSE_START_TIMEOUT:-60}

STOP_TIMEOUT=${EARSHOT_STOP_TIMEOUT:-60}

ALL_SERVICES=(kafka clickhouse)

# ---------------------------------------------------------------------------
# Messages

log() { printf '%s\n' "$*" >&2; }
die() {
	printf 'error: %s\n' "$*" >&2
	exit 1
}

# services_from_args ARGS... prints the services to act on (all when none given)
# and dies on an unknown name.
services_from_args() {
	if [[ $# -eq 0 ]]; then
		printf '%s\n' "${ALL_SERVICES[@]}"
		return
	fi
	local s
	for s in "$@"; do
		case $s in
		kafka | clickhouse) printf '%s\n' "$s" ;;
		-h | --help) return 2 ;;
		*) die "unknown service '$s' (expected: kafka, clickhouse)" ;;
		esac
	done
}

# with_lock runs "$@" while holding an exclusive lock on the state dir, so that
# concurrent `up`/`down` calls (parallel test runs) do not race.
with_lock() {
	mkdir -p -- "$LOCAL_DIR"
	local lock=$LOCAL_DIR/.lock
	exec 9>"$lock"
	if command -v flock >/dev/null 2>&1; then
		flock -w 300 9 || die "cannot lock $lock within 300 s: another deploy/local command is running (see: fuser -v $lock)"
	fi
	"$@"
	exec 9>&-
}

# ---------------------------------------------------------------------------
# Processes

pid_file() { printf '%s/%s.pid\n' "$RUN_DIR" "$1"; }

# service_pattern NAME prints a string that the service's command line contains.
service_pattern() {
	case $1 in
	kafka) printf 'kafka.Kafka' ;;
	clickhouse) printf 'clickhouse' ;;
	esac
}

# service_pid NAME prints the pid of the running service and returns 0, or
# returns 1 (removing a stale pid file) when it is not running.
service_pid() {
	local f pid cmdline
	f=$(pid_file "$1")
	[[ -s $f ]] || return 1
	pid=$(<"$f")
	if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
		cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)
		if [[ $cmdline == *"$(service_pattern "$1")"* ]]; then
			printf '%s\n' "$pid"
			return 0
		fi
	fi
	rm -f -- "$f"
	return 1
}

# start_detached NAME LOGFILE CMD... runs CMD in its own session, detached from
# the terminal, with stdout/stderr appended to LOGFILE, and records its pid.
start_detached() {
	local name=$1 logfile=$2
	shift 2
	mkdir -p -- "$RUN_DIR" "$(dirname -- "$logfile")"
	local f
	f=$(pid_file "$name")
	rm -f -- "$f"
	# The inner shell writes its own pid and then execs the service, so the
	# recorded pid is the service's pid whatever setsid does.
	# shellcheck disable=SC2016 # expanded by the inner shell
	# fd 9 (the state-dir lock) must not leak into the long-running service,
	# or it would hold the lock for as long as it runs.
	nohup setsid bash -c 'echo $$ >"$0"; exec "$@"' "$f" "$@" </dev/null >>"$logfile" 2>&1 9>&- &
	local i
	for ((i = 0; i < 50; i++)); do
		[[ -s $f ]] && return 0
		sleep 0.1
	done
	die "cannot start $name: no pid file after 5 s (see $logfile)"
}

# stop_service NAME sends SIGTERM, waits up to STOP_TIMEOUT seconds, then SIGKILL.
stop_service() {
	local name=$1 pid i
	if ! pid=$(service_pid "$name"); then
		log "$name: not running"
		return 0
	fi
	log "$name: stopping pid $pid"
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		log "$name: still running after ${STOP_TIMEOUT}s, sending SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
		for ((i = 0; i < 100; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
	fi
	kill -0 "$pid" 2>/dev/null && die "$name: cannot stop pid $pid"
	rm -f -- "$(pid_file "$name")"
	log "$name: stopped"
}

# port_open PORT returns 0 when something accepts TCP connections on 127.0.0.1:PORT.
port_open() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# fail_start NAME LOGFILE... reports a failed start with the tail of the logs.
fail_start() {
	local name=$1 f
	shift
	for f in "$@"; do
		if [[ -s $f ]]; then
			log "---- last lines of $f ----"
			tail -n 30 -- "$f" >&2
		fi
	done
	die "$name did not start (logs: $*)"
}

# ---------------------------------------------------------------------------
# Prerequisites

need_java() {
	command -v java >/dev/null 2>&1 || die "java not found: install a JDK/JRE 17 or newer (e.g. apt-get install -y openjdk-17-jre-headless)"
	local v major
	v=$(java -version 2>&1 | awk -F'"' '/version/ {print $2; exit}')
	major=${v%%.*}
	[[ $major == 1 ]] && major=$(printf '%s' "$v" | cut -d. -f2)
	[[ $major =~ ^[0-9]+$ ]] || die "cannot parse java version from 'java -version' ($v)"
	((major >= 17)) || die "java $v is too old: Kafka $KAFKA_VERSION here needs Java 17 or newer"
}

need_mvn() {
	command -v mvn >/dev/null 2>&1 || die "mvn not found: install Apache Maven (e.g. apt-get install -y maven); it downloads the Kafka jars once"
}

# apt_install PKG... installs Debian packages, failing clearly without apt or root.
apt_install() {
	command -v apt-get >/dev/null 2>&1 || die "apt-get not found: install $* yourself (a Debian/Ubuntu machine is expected)"
	local sudo=()
	if [[ $(id -u) -ne 0 ]]; then
		if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
			sudo=(sudo -n)
		else
			die "installing $* needs root: run as root, or install them yourself (apt-get install -y $*)"
		fi
	fi
	log "installing $* with apt-get (once)"
	"${sudo[@]}" apt-get update -qq || die "apt-get update failed"
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null ||
		die "apt-get install $* failed"
}

# ---------------------------------------------------------------------------
# Kafka

kafka_classpath() { printf '%s/*\n' "$KAFKA_LIBS"; }

# kafka_fetch resolves the Kafka jars into the cache with Maven, once.
kafka_fetch() {
	if [[ -f $KAFKA_HOME/.complete ]]; then
		return 0
	fi
	need_mvn
	log "kafka: resolving Apache Kafka $KAFKA_VERSION jars from Maven Central (once) into $KAFKA_LIBS"
	rm -rf -- "$KAFKA_LIBS"
	mkdir -p -- "$KAFKA_LIBS"
	mvn -q -B -Dstyle.color=never -f "$DEPLOY_DIR/kafka/pom.xml" \
		-Dkafka.version="$KAFKA_VERSION" \
		dependency:copy-dependencies \
		-DincludeScope=runtime \
		-DoutputDirectory="$KAFKA_LIBS" >&2 ||
		die "cannot resolve the Kafka jars with mvn (network to Maven Central needed once)"
	[[ -f $KAFKA_LIBS/kafka_2.13-$KAFKA_VERSION.jar ]] || die "mvn did not produce kafka_2.13-$KAFKA_VERSION.jar in $KAFKA_LIBS"
	touch -- "$KAFKA_HOME/.complete"
}

kafka_write_config() {
	mkdir -p -- "$KAFKA_DIR/data" "$LOG_DIR"
	local listeners="PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT"
	local advertised="PLAINTEXT://127.0.0.1:$KAFKA_PORT"
	local protocols="CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"
	local name port
	for name in SASL_SSL SSL SASL_PLAINTEXT MTLS; do
		case $name in
		SASL_SSL) port=$KAFKA_SASL_SSL_PORT ;;
		SSL) port=$KAFKA_SSL_PORT ;;
		SASL_PLAINTEXT) port=$KAFKA_SASL_PLAINTEXT_PORT ;;
		MTLS) port=$KAFKA_MTLS_PORT ;;
		esac
		[[ -n $port ]] || continue
		listeners+=",$name://127.0.0.1:$port"
		advertised+=",$name://127.0.0.1:$port"
		if [[ $name == MTLS ]]; then protocols+=",MTLS:SSL"; else protocols+=",$name:$name"; fi
	done
	cat >"$KAFKA_DIR/server.properties" <<EOF
# Written by deploy/local/up on every start; edit deploy/local/lib.sh instead.
# Single-node KRaft: this process is both broker and controller.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=$listeners
advertised.listeners=$advertised
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=$protocols
log.dirs=$KAFKA_DIR/data

num.partitions=4
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=true
delete.topic.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
group.initial.rebalance.delay.ms=0

log.retention.hours=24
log.retention.check.interval.ms=300000
log.segment.bytes=268435456
message.max.bytes=10485760
replica.fetch.max.bytes=10485760

# Light on a 2-core machine.
num.network.threads=2
num.io.threads=4
background.threads=2
num.recovery.threads.per.data.dir=1
num.replica.fetchers=1
log.cleaner.threads=1
log.cleaner.dedupe.buffer.size=16777216
EOF
	if [[ -n $KAFKA_SASL_SSL_PORT$KAFKA_SSL_PORT$KAFKA_MTLS_PORT ]]; then
		kafka_tls
		cat >>"$KAFKA_DIR/server.properties" <<EOF

# TLS of the SASL_SSL, SSL and MTLS listeners.
ssl.keystore.type=PKCS12
ssl.keystore.location=$KAFKA_DIR/tls/broker.p12
ssl.keystore.password=$KAFKA_SASL_PASSWORD
ssl.key.password=$KAFKA_SASL_PASSWORD
EOF
	fi
	if [[ -n $KAFKA_MTLS_PORT ]]; then
		client_cert
		cat >>"$KAFKA_DIR/server.properties" <<EOF

# MTLS: a client must present the local client certificate.
listener.name.mtls.ssl.client.auth=required
listener.name.mtls.ssl.truststore.type=PEM
listener.name.mtls.ssl.truststore.location=$LOCAL_DIR/tls/client.pem
EOF
	fi
	if kafka_sasl; then
		printf '\n# SASL of the SASL_SSL and SASL_PLAINTEXT listeners.\nsasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512\n' >>"$KAFKA_DIR/server.properties"
		for name in sasl_ssl sasl_plaintext; do
			cat >>"$KAFKA_DIR/server.properties" <<EOF
listener.name.$name.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_earshot="$KAFKA_SASL_PASSWORD";
listener.name.$name.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.$name.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
EOF
		done
	fi
	cat >"$KAFKA_DIR/log4j.properties" <<EOF
# Written by deploy/local/up on every start.
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.RollingFileAppender
log4j.appender.file.File=$LOG_DIR/kafka.log
log4j.appender.file.MaxFileSize=50MB
log4j.appender.file.MaxBackupIndex=2
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
log4j.logger.kafka.request.logger=WARN
log4j.logger.kafka.controller=INFO
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.log.LogCleaner=WARN
EOF
	# Quiet logging for the command-line tools (topic listing, storage format).
	cat >"$KAFKA_DIR/tools-log4j.properties" <<'EOF'
log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.Target=System.err
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
EOF
	cat >"$KAFKA_DIR/admin.properties" <<'EOF'
request.timeout.ms=5000
default.api.timeout.ms=10000
EOF
}

# kafka_sasl returns 0 when a listener wants SASL.
kafka_sasl() { [[ -n $KAFKA_SASL_SSL_PORT$KAFKA_SASL_PLAINTEXT_PORT ]]; }

# kafka_tls makes the SASL_SSL, SSL and MTLS listeners' key and self-signed certificate
# (for localhost and 127.0.0.1) once, and the certificate in PEM for
# clients: $KAFKA_DIR/tls/ca.pem.
kafka_tls() {
	local dir=$KAFKA_DIR/tls
	[[ -s $dir/broker.p12 && -s $dir/ca.pem ]] && return 0
	mkdir -p -- "$dir"
	rm -f -- "$dir/broker.p12" "$dir/ca.pem"
	keytool -genkeypair -alias broker -keyalg RSA -keysize 2048 -validity 3650 \
		-dname CN=localhost -ext SAN=dns:localhost,ip:127.0.0.1 \
		-keystore "$dir/broker.p12" -storetype PKCS12 \
		-storepass "$KAFKA_SASL_PASSWORD" -keypass "$KAFKA_SASL_PASSWORD" >/dev/null 2>&1 ||
		die "kafka: keytool cannot make the TLS key in $dir (it comes with the JRE)"
	keytool -exportcert -rfc -alias broker -keystore "$dir/broker.p12" -storetype PKCS12 \
		-storepass "$KAFKA_SASL_PASSWORD" -file "$dir/ca.pem" >/dev/null 2>&1 ||
		die "kafka: keytool cannot export the certificate to $dir/ca.pem"
}

# client_cert makes the self-signed client certificate Kafka's MTLS
# listener and ClickHouse's TLS port (when told to) trust, once:
# $LOCAL_DIR/tls/client.pem and client.key, for earshot's --kafka-tls-cert,
# --kafka-tls-key, --clickhouse-tls-cert and --clickhouse-tls-key.
client_cert() {
	local dir=$LOCAL_DIR/tls
	[[ -s $dir/client.pem && -s $dir/client.key ]] && return 0
	command -v openssl >/dev/null 2>&1 || apt_install openssl
	mkdir -p -- "$dir"
	openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=earshot \
		-keyout "$dir/client.key" -out "$dir/client.pem" >/dev/null 2>&1 ||
		die "openssl cannot make the client certificate in $dir"
}

# kafka_java CLASS ARGS... runs a Kafka tool class on the cached classpath.
kafka_java() {
	local class=$1
	shift
	java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
		-Dlog4j.configuration="file:$KAFKA_DIR/tools-log4j.properties" \
		-cp "$(kafka_classpath)" "$class" "$@"
}

kafka_format() {
	if [[ -f $KAFKA_DIR/data/meta.properties ]]; then
		return 0
	fi
	local id
	if [[ -s $KAFKA_DIR/cluster.id ]]; then
		id=$(<"$KAFKA_DIR/cluster.id")
	else
		id=$(kafka_java kafka.tools.StorageTool random-uuid) || die "kafka: cannot generate a cluster id"
		printf '%s\n' "$id" >"$KAFKA_DIR/cluster.id"
	fi
	log "kafka: formatting storage in $KAFKA_DIR/data (cluster id $id)"
	local scram=()
	if kafka_sasl; then
		scram=(--add-scram "SCRAM-SHA-256=[name=earshot,password=$KAFKA_SASL_PASSWORD]"
			--add-scram "SCRAM-SHA-512=[name=earshot,password=$KAFKA_SASL_PASSWORD]")
	fi
	kafka_java kafka.tools.StorageTool format -t "$id" -c "$KAFKA_DIR/server.properties" --ignore-formatted "${scram[@]}" >&2 ||
		die "kafka: cannot format storage in $KAFKA_DIR/data"
}

# kafka_answers returns 0 when the broker answers a metadata request.
kafka_answers() {
	port_open "$KAFKA_PORT" || return 1
	timeout 30 java -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
		-Dlog4j.configuration="file:$KAFKA_DIR/tools-log4j.properties" \
		-cp "$(kafka_classpath)" org.apache.kafka.tools.TopicCommand \
		--bootstrap-server "127.0.0.1:$KAFKA_PORT" \
		--command-config "$KAFKA_DIR/admin.properties" --list >/dev/null 2>&1
}

kafka_up() {
	local pid
	if pid=$(service_pid kafka); then
		log "kafka: already running (pid $pid) on 127.0.0.1:$KAFKA_PORT"
		return 0
	fi
	need_java
	kafka_fetch
	if port_open "$KAFKA_PORT"; then
		die "kafka: port $KAFKA_PORT is in use by another process (not started by deploy/local); stop it or set EARSHOT_KAFKA_PORT"
	fi
	kafka_write_config
	kafka_format
	printf '%s\n' "$KAFKA_VERSION" >"$KAFKA_DIR/version"
	log "kafka: starting Apache Kafka $KAFKA_VERSION (KRaft) on 127.0.0.1:$KAFKA_PORT, log $LOG_DIR/kafka.log"
	start_detached kafka "$LOG_DIR/kafka.out" \
		java "-Xms$KAFKA_HEAP" "-Xmx$KAFKA_HEAP" \
		-XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
		-XX:+ExplicitGCInvokesConcurrent -XX:CICompilerCount=2 \
		-Djava.awt.headless=true \
		-Dlog4j.configuration="file:$KAFKA_DIR/log4j.properties" \
		-Dkafka.logs.dir="$LOG_DIR" \
		-cp "$(kafka_classpath)" kafka.Kafka "$KAFKA_DIR/server.properties"
	local start=$SECONDS
	while ((SECONDS - start < KAFKA_START_TIMEOUT)); do
		service_pid kafka >/dev/null || fail_start kafka "$LOG_DIR/kafka.out" "$LOG_DIR/kafka.log"
		if port_open "$KAFKA_PORT" && kafka_answers; then
			log "kafka: ready on 127.0.0.1:$KAFKA_PORT after $((SECONDS - start)) s (pid $(service_pid kafka))"
			return 0
		fi
		sleep 1
	done
	fail_start kafka "$LOG_DIR/kafka.out" "$LOG_DIR/kafka.log"
}

kafka_status() {
	local pid version
	version=$(cat -- "$KAFKA_DIR/version" 2>/dev/null || printf '%s' "$KAFKA_VERSION")
	if ! pid=$(service_pid kafka); then
		printf 'kafka       stopped                      ports %s (broker) %s (controller)\n' "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"
		return 1
	fi
	if kafka_answers; then
		printf 'kafka       running  pid %-8s  %-8s ports %s (broker) %s (controller)\n' "$pid" "$version" "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"
		return 0
	fi
	printf 'kafka       not answering  pid %-8s  %-8s ports %s (broker) %s (controller), see %s\n' "$pid" "$version" "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT" "$LOG_DIR/kafka.log"
	return 1
}

# ---------------------------------------------------------------------------
# ClickHouse

ch_binary() {
	command -v clickhouse-server 2>/dev/null && return 0
	[[ -x /usr/bin/clickhouse-server ]] && printf '/usr/bin/clickhouse-server\n' && return 0
	return 1
}

ch_install() {
	ch_binary >/dev/null && return 0
	apt_install clickhouse-server clickhouse-client
	ch_binary >/dev/null || die "clickhouse-server is still not on PATH after apt-get install"
}

# ch_query SQL prints the result of SQL over HTTP (curl, or bash /dev/tcp).
ch_query() {
	local sql=$1
	if command -v curl >/dev/null 2>&1; then
		curl -fsS --max-time 10 "http://127.0.0.1:$CH_HTTP_PORT/" --data-binary "$sql" 2>/dev/null
		return
	fi
	local body
	body=$(
		exec 3<>"/dev/tcp/127.0.0.1/$CH_HTTP_PORT" || exit 1
		printf 'POST / HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n%s' "${#sql}" "$sql" >&3
		timeout 10 cat <&3
	) || return 1
	[[ $body == "HTTP/1."?" 200"* ]] || return 1
	printf '%s\n' "${body#*$'\r\n\r\n'}" | sed '/^$/d'
}

ch_answers() {
	[[ $(ch_query 'SELECT 1' 2>/dev/null) == 1 ]]
}

# ch_tls_config prints the TLS port's settings, making its key and
# self-signed certificate (for 127.0.0.1 and localhost) once; nothing
# without EARSHOT_CLICKHOUSE_TLS_PORT.
ch_tls_config() {
	[[ -n $CH_TLS_PORT ]] || return 0
	local dir=$CH_DIR/tls
	if [[ ! -s $dir/server.key || ! -s $dir/ca.pem ]]; then
		command -v openssl >/dev/null 2>&1 || apt_install openssl
		mkdir -p -- "$dir"
		openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=localhost \
			-addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
			-keyout "$dir/server.key" -out "$dir/ca.pem" >/dev/null 2>&1 ||
			die "clickhouse: openssl cannot make the TLS key in $dir"
	fi
	local verify=none clientCA=
	case $CH_TLS_CLIENT_CERT in
	none) ;;
	required)
		client_cert
		verify=strict clientCA="<caConfig>$LOCAL_DIR/tls/client.pem</caConfig>"
		;;
	*) die "EARSHOT_CLICKHOUSE_TLS_CLIENT_CERT=$CH_TLS_CLIENT_CERT: want none or required" ;;
	esac
	cat <<EOF
    <tcp_port_secure>$CH_TLS_PORT</tcp_port_secure>
    <openSSL>
        <server>
            <certificateFile>$dir/ca.pem</certificateFile>
            <privateKeyFile>$dir/server.key</privateKeyFile>
            <verificationMode>$verify</verificationMode>$clientCA
            <loadDefaultCAFile>false</loadDefaultCAFile>
            <cacheSessions>true</cacheSessions>
            <disableProtocols>sslv2,sslv3,tlsv1,tlsv1_1</disableProtocols>
            <preferServerCiphers>true</preferServerCiphers>
        </server>
    </openSSL>
EOF
}

ch_write_config() {
	mkdir -p -- "$CH_DIR"/{data,tmp,user_files,format_schemas} "$LOG_DIR"
	local tls
	tls=$(ch_tls_config) || exit 1
	cat >"$CH_DIR/config.xml" <<EOF
<?xml version="1.0"?>
<!-- Written by deploy/local/up on every start; edit deploy/local/lib.sh instead. -->
<yandex>
    <logger>
        <level>information</level>
        <log>$LOG_DIR/clickhouse.log</log>
        <errorlog>$LOG_DIR/clickhouse.err.log</errorlog>
        <size>100M</size>
        <count>2</count>
    </logger>

    <listen_host>127.0.0.1</listen_host>
    <http_port>$CH_HTTP_PORT</http_port>
    <tcp_port>$CH_TCP_PORT</tcp_port>
$tls
    <path>$CH_DIR/data/</path>
    <tmp_path>$CH_DIR/tmp/</tmp_path>
    <user_files_path>$CH_DIR/user_files/</user_files_path>
    <format_schema_path>$CH_DIR/format_schemas/</format_schema_path>
    <users_config>$CH_DIR/users.xml</users_config>

    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>

    <max_connections>1024</max_connections>
    <keep_alive_timeout>10</keep_alive_timeout>
    <max_concurrent_queries>64</max_concurrent_queries>
    <mark_cache_size>268435456</mark_cache_size>
    <uncompressed_cache_size>268435456</uncompressed_cache_size>
    <!-- Newer servers only; ClickHouse 18.16 ignores it. -->
    <max_server_memory_usage_to_ram_ratio>0.5</max_server_memory_usage_to_ram_ratio>

    <max_table_size_to_drop>0</max_table_size_to_drop>
    <max_partition_size_to_drop>0</max_partition_size_to_drop>
    <builtin_dictionaries_reload_interval>3600</builtin_dictionaries_reload_interval>
</yandex>
EOF
	cat >"$CH_DIR/users.xml" <<'EOF'
<?xml version="1.0"?>
<!-- Written by deploy/local/up on every start. -->
<yandex>
    <profiles>
        <default>
            <max_memory_usage>4000000000</max_memory_usage>
            <max_threads>2</max_threads>
            <load_balancing>random</load_balancing>
        </default>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks>
                <ip>127.0.0.1</ip>
                <ip>::1</ip>
            </networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas>
        <default>
            <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
            </interval>
        </default>
    </quotas>
</yandex>
EOF
}

ch_up() {
	local pid
	if pid=$(service_pid clickhouse); then
		log "clickhouse: already running (pid $pid) on 127.0.0.1:$CH_TCP_PORT (native) and :$CH_HTTP_PORT (http)"
		return 0
	fi
	ch_install
	local port
	for port in "$CH_TCP_PORT" "$CH_HTTP_PORT"; do
		if port_open "$port"; then
			die "clickhouse: port $port is in use by another process (not started by deploy/local; a system clickhouse-server service? try: service clickhouse-server stop)"
		fi
	done
	ch_write_config
	# It runs as the invoking user (root included: ClickHouse 18.16 accepts
	# that), so every file under the state dir has one owner.
	local bin
	bin=$(ch_binary)
	log "clickhouse: starting $bin on 127.0.0.1:$CH_TCP_PORT (native) and :$CH_HTTP_PORT (http), log $LOG_DIR/clickhouse.log"
	start_detached clickhouse "$LOG_DIR/clickhouse.out" "$bin" "--config-file=$CH_DIR/config.xml"
	local start=$SECONDS
	while ((SECONDS - start < CH_START_TIMEOUT)); do
		service_pid clickhouse >/dev/null || fail_start clickhouse "$LOG_DIR/clickhouse.out" "$LOG_DIR/clickhouse.err.log"
		if ch_answers; then
			log "clickhouse: ready after $((SECONDS - start)) s (pid $(service_pid clickhouse))"
			return 0
		fi
		sleep 0.5
	done
	fail_start clickhouse "$LOG_DIR/clickhouse.out" "$LOG_DIR/clickhouse.err.log"
}

ch_status() {
	local pid version
	if ! pid=$(service_pid clickhouse); then
		printf 'clickhouse  stopped                      ports %s (native) %s (http)\n' "$CH_TCP_PORT" "$CH_HTTP_PORT"
		return 1
	fi
	if version=$(ch_query 'SELECT version()') && [[ -n $version ]]; then
		printf 'clickhouse  running  pid %-8s  %-8s ports %s (native) %s (http)\n' "$pid" "$version" "$CH_TCP_PORT" "$CH_HTTP_PORT"
		return 0
	fi
	printf 'clickhouse  not answering  pid %-8s  ports %s (native) %s (http), see %s\n' "$pid" "$CH_TCP_PORT" "$CH_HTTP_PORT" "$LOG_DIR/clickhouse.err.log"
	return 1
}
