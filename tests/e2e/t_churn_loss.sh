#!/bin/sh
# t_churn_verify with a 16 kB ring buffer (SHMW_CHURN_RING) and the daemon stopped (SIGSTOP) for
# a second halfway through: many events of the churn are lost, the daemon resyncs from its BPF
# maps, and still, at quiescence, who and ps
# equal the kernel, the event log replays to exactly the daemon's holders (the resync lines
# state what they repair), read address space by address space it is consistent, and verify
# finds nothing left to repair. Checks that events were lost and resyncs happened.
SHMW_CHURN_RING=${SHMW_CHURN_RING:-16384}
SHMW_CHURN_SECONDS=${SHMW_CHURN_SECONDS:-8}
SHMW_CHURN_LOSSY=1
# shellcheck source=t_churn_verify.sh
. "$(dirname "$0")/t_churn_verify.sh"
