#!/usr/bin/env bash
# Sustained messages/s through a Mosquitto broker: N observations of S sensors are queued at the broker for
# the run's persistent session, then `lstm-streams run` drains them (source -> runtime -> sink -> broker) while
# mosquitto_sub counts the predictions with timestamps. The rate is predictions / (last - first arrival), so
# process start-up is not counted. Needs mosquitto, mosquitto-clients and a Release build of the CLI.
# Keep N below 65,536: Mosquitto 2.0.11 loses messages queued for one session beyond that (its 16-bit
# message ids wrap; mosquitto_sub alone receives 34,469 of 100,000 queued).
#
#   tests/LstmStreams.Mqtt.Tests/measure-throughput.sh [N=60000] [SENSORS=1000] [MODEL=tests/fixtures/pytorch/lstm_2l_head_sigmoid.safetensors]
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-60000}
sensors=${2:-1000}
model=${3:-tests/fixtures/pytorch/lstm_2l_head_sigmoid.safetensors}
width=$(dotnet src/LstmStreams.Cli/bin/Release/net10.0/lstm-streams.dll inspect "$model" | awk '/^input size:/ {print $3; exit}')
width=${width:-4}
port=${PORT:-18883}
dir=$(mktemp -d); echo "work dir $dir" >&2
trap 'kill -TERM ${cli:-} ${broker:-} 2>/dev/null || true; wait 2>/dev/null || true; [ -s "$dir/run.err" ] && cat "$dir/run.err" >&2; [ -n "${KEEP:-}" ] || rm -rf "$dir"' EXIT

cat > "$dir/mosquitto.conf" <<CONF
listener $port 127.0.0.1
allow_anonymous true
user $(id -un)
max_queued_messages 0
CONF
mosquitto -c "$dir/mosquitto.conf" 2>/dev/null & broker=$!
sleep 0.5

cat > "$dir/run.conf" <<CONF
lstm-streams.mqtt { sequence-from = payload, client-id = "bench-$$" }
CONF
run() {
  exec dotnet src/LstmStreams.Cli/bin/Release/net10.0/lstm-streams.dll run --model "$model" --config "$dir/run.conf" --store none \
    --input "mqtt://127.0.0.1:$port/bench/obs" --output "mqtt://127.0.0.1:$port/bench/pred/{seq}" 2>"$dir/run.err"
}

# 1. Create the session (subscription) and stop: what is published next is queued for it.
(run) & cli=$!; sleep 3; kill -TERM $cli; wait $cli || true

# 2. Queue N observations.
python3 - "$n" "$sensors" "$width" > "$dir/obs.jsonl" <<'PY'
import random, sys
n, sensors, width = map(int, sys.argv[1:])
random.seed(1)
for i in range(n):
    print('{"seq":"s%d","x":[%s]}' % (i % sensors, ",".join("%.4f" % random.uniform(-1, 1) for _ in range(width))))
PY
start=$(date +%s.%N)
mosquitto_pub -p "$port" -h 127.0.0.1 -q 1 -t bench/obs -l < "$dir/obs.jsonl"
echo "queued $n observations at the broker in $(echo "$(date +%s.%N) - $start" | bc) s"

# 3. Drain them and time the predictions.
mosquitto_sub -p "$port" -h 127.0.0.1 -q 1 -t 'bench/pred/#' -C "$n" -F '%U' > "$dir/times" & sub=$!
sleep 0.5
run & cli=$!
wait $sub
kill -TERM $cli; wait $cli || true
awk -v n="$n" 'NR==1 {first=$1} {last=$1} END {printf "%d predictions back over MQTT in %.2f s (first to last): %.0f messages/s\n", NR, last-first, (NR-1)/(last-first)}' "$dir/times"
