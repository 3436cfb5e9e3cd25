// The Bell circuit of docs/methodology.md section 7: h q0; cx q0,q1; measure_all.
// measure_all puts a barrier before the measurements; without it the neutral-atom
// layering reads the two measurements in separate rounds (20.0015 ms instead of 10.0025 ms).
OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
creg c[2];
h q[0];
cx q[0],q[1];
barrier q[0],q[1];
measure q -> c;
