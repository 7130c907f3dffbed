# Harness self-test: a guest that never finishes. The runner must kill it.
echo "hanging on purpose"
sleep 100000
