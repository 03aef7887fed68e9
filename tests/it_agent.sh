#!/bin/sh
# The agent alone, as it will run inside any tenant: the JSON-lines protocol
# (ready, the go barrier, samples, result), its exit codes, and that it
# depends on libc (and json-c, to read fio's output) only.
. "$TESTS_SRCDIR/lib.sh"
AGENT=${ISOBENCH_AGENT_BIN:?}
cd "$WORK" || exit 1

(sleep 0.2; echo go; sleep 3) | "$AGENT" cpu.compute --duration 0.6 --warmup 0.1 --sample-interval 0.2 >out.txt; rc=$?
check "victim exits 0" [ "$rc" = 0 ]
check "first line is ready" sh -c "head -1 out.txt | grep -q '\"event\":\"ready\",\"stressor\":\"cpu.compute\",\"role\":\"victim\"'"
check "samples follow the barrier" [ "$(grep -c '"event":"sample"' out.txt)" -ge 2 ]
check "last line is the result with ops_per_s and latencies" sh -c "tail -1 out.txt | grep -q '\"event\":\"result\".*\"ops_per_s\":.*\"lat_p99_ns\"'"
ops=$(tail -1 out.txt | sed 's/.*"ops_per_s":\([0-9.e+]*\).*/\1/')
check "ops_per_s is a positive number ($ops)" awk -v x="$ops" 'BEGIN { exit !(x > 100) }'

(sleep 0.2; echo go; sleep 0.4; echo stop; sleep 1) | "$AGENT" cpu.hog --role aggressor --duration 30 --intensity 50 >hog.txt; rc=$?
check "aggressor stops on 'stop' and exits 0" [ "$rc" = 0 ]
check "aggressor reports the pressure it achieved" grep -q '"cpus_used":' hog.txt
used=$(tail -1 hog.txt | sed 's/.*"cpus_used":\([0-9.e+-]*\).*/\1/')
threads=$(tail -1 hog.txt | sed 's/.*"threads":\([0-9]*\).*/\1/')
# 50 % duty on each thread: between 0.3 and 0.7 CPUs per thread (noisy machine)
check "50% duty cycle gives 0.3-0.7 CPU per thread ($used over $threads)" awk -v u="$used" -v t="$threads" 'BEGIN { exit !(u / t > 0.3 && u / t < 0.7) }'

"$AGENT" cpu.nothing >bad.txt 2>/dev/null; rc=$?
check "unknown stressor exits 2" [ "$rc" = 2 ]
check "and says so in JSON" grep -q '"event":"error","message":"unknown stressor' bad.txt
"$AGENT" cpu.hog --role victim >/dev/null 2>&1; check "a role the stressor lacks exits 2" [ $? = 2 ]
"$AGENT" cpu.compute --opt unit=1 >o.txt 2>/dev/null; check "an option out of range exits 2" [ $? = 2 ]
check "and names it" grep -q 'option unit: 1 is outside' o.txt
echo hello | "$AGENT" cpu.compute >/dev/null; check "a line other than go exits 3" [ $? = 3 ]
"$AGENT" cpu.compute --go-timeout 0.2 </dev/null >/dev/null; check "no go before the timeout exits 3" [ $? = 3 ]

(sleep 0.1; echo go; sleep 2) | "$ISOBENCH" agent null --duration 0.2 >null.txt; rc=$?
check "'isobench agent' runs the same agent" sh -c "[ $rc = 0 ] && grep -q '\"event\":\"result\"' null.txt"
"$AGENT" --probe >probe.txt
check "probe reports namespaces, capabilities, seccomp, tracer and hypervisor bit" sh -c "grep -q '\"namespaces\":{\"cgroup\":[0-9]' probe.txt && grep -q '\"CapEff\"' probe.txt && grep -q '\"Seccomp\"' probe.txt && grep -q '\"TracerPid\":\"0\"' probe.txt && grep -q '\"hypervisor_bit\":[01]' probe.txt"
libs=$(ldd "$AGENT" | grep -v -E 'linux-vdso|libc\.so|libm\.so|ld-linux|libasan|libubsan|libstdc|libgcc_s|libdl|librt|libpthread|libjson-c' || true)
check "the agent links libc and json-c only (found: ${libs:-nothing else})" [ -z "$libs" ]
done_testing
