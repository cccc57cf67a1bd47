#!/usr/bin/env bash
# Make a real iSCSI capture on this machine: Linux tgt (userspace target, file-backed LUN)
# on 127.0.0.1, libiscsi's initiator tools as the workload, dumpcap on loopback.
#
#   sudo scripts/capture-iscsi.sh [OUTPUT.pcapng] [--port N]
#
# Default output: traces/iscsi-libiscsi.pcapng (relative to the repository root).
# Idempotent: installs tgt/libiscsi-bin/tshark only if missing, refuses a busy port,
# and on exit stops only the tgtd and dumpcap it started and removes its temp dir.
# See docs/captures.md, section "iSCSI (tgt + libiscsi)".
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$REPO_ROOT/traces/iscsi-libiscsi.pcapng"
PORT=3260
while [[ $# -gt 0 ]]; do
  case "$1" in
    --port) PORT="${2:?--port needs a number}"; shift 2 ;;
    --port=*) PORT="${1#--port=}"; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    -*) echo "capture-iscsi: unknown option $1" >&2; exit 2 ;;
    *) OUT="$1"; shift ;;
  esac
done
[[ "$PORT" =~ ^[0-9]+$ && "$PORT" -gt 0 && "$PORT" -lt 65536 ]] || { echo "capture-iscsi: bad port $PORT" >&2; exit 2; }
[[ "$(id -u)" -eq 0 ]] || { echo "capture-iscsi: must run as root (tgtd, dumpcap on lo)" >&2; exit 2; }
case "$OUT" in /*) ;; *) OUT="$PWD/$OUT" ;; esac

TARGET_IQN="iqn.2026-11.test.scsitrace:lun1"
LUN=1
CTL_PORT=$PORT               # tgtd management socket: /var/run/tgtd/socket.$CTL_PORT
URL="iscsi://127.0.0.1:$PORT/$TARGET_IQN/$LUN"
log() { printf 'capture-iscsi: %s\n' "$*" >&2; }

# --- 1. tools -------------------------------------------------------------------------------
need_install=0
for tool in tgtd tgtadm iscsi-ls iscsi-inq iscsi-readcapacity16 iscsi-swp iscsi-test-cu dumpcap tshark editcap python3; do
  command -v "$tool" >/dev/null 2>&1 || need_install=1
done
if [[ $need_install -eq 1 ]]; then
  log "installing tgt libiscsi-bin tshark"
  # tshark's postinst asks whether non-root users may capture; answer "no" up front.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -q
  apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends tgt libiscsi-bin tshark python3
fi
LIBISCSI_SO="$(ldconfig -p | awk '/libiscsi\.so\.7 / && !found {print $NF; found=1}')"
[[ -n "$LIBISCSI_SO" ]] || { log "libiscsi.so.7 not found"; exit 1; }

# --- 2. refuse to disturb anything already running --------------------------------------------
listening() { [[ -n "$(ss -Hltn "sport = :$PORT")" ]]; }
if listening; then
  log "port $PORT is already in use; pick another with --port"; exit 1
fi
if [[ -e "/var/run/tgtd/socket.$CTL_PORT" ]] && tgtadm -C "$CTL_PORT" --mode system --op show >/dev/null 2>&1; then
  log "a tgtd already answers on control port $CTL_PORT; pick another --port"; exit 1
fi

WORK="$(mktemp -d /tmp/capture-iscsi.XXXXXX)"
TGTD_PID=""; DUMPCAP_PID=""
cleanup() {
  set +e
  if [[ -n "$DUMPCAP_PID" ]] && kill -0 "$DUMPCAP_PID" 2>/dev/null; then
    kill -INT "$DUMPCAP_PID"; wait "$DUMPCAP_PID" 2>/dev/null
  fi
  if [[ -n "$TGTD_PID" ]] && kill -0 "$TGTD_PID" 2>/dev/null; then
    # tgtd -f ignores SIGTERM; the supported way down (as in tgt.service) is over its own
    # socket: go offline, delete the target, then delete the system (refused while targets exist).
    tgtadm -C "$CTL_PORT" --mode system --op update --name State --value offline >/dev/null 2>&1
    tgtadm -C "$CTL_PORT" --lld iscsi --mode target --op delete --tid 1 --force >/dev/null 2>&1
    tgtadm -C "$CTL_PORT" --mode system --op delete >/dev/null 2>&1
    for _ in $(seq 50); do kill -0 "$TGTD_PID" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$TGTD_PID" 2>/dev/null; then
      log "tgtd $TGTD_PID did not exit; killing it"; kill -KILL "$TGTD_PID"
    fi
    wait "$TGTD_PID" 2>/dev/null
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- 3. target: tgtd with one 64 MiB file-backed LUN ------------------------------------------
truncate -s 64M "$WORK/lun1.img"
tgtd -f -C "$CTL_PORT" --iscsi "portal=127.0.0.1:$PORT" >"$WORK/tgtd.log" 2>&1 &
TGTD_PID=$!
for _ in $(seq 100); do
  listening && break
  kill -0 "$TGTD_PID" 2>/dev/null || { cat "$WORK/tgtd.log" >&2; log "tgtd exited"; exit 1; }
  sleep 0.1
done
listening || { log "tgtd is not listening on $PORT"; exit 1; }
tadm() { tgtadm -C "$CTL_PORT" --lld iscsi "$@"; }
tadm --mode target --op new --tid 1 --targetname "$TARGET_IQN"
tadm --mode logicalunit --op new --tid 1 --lun "$LUN" --backing-store "$WORK/lun1.img"
# Thin provisioning makes UNMAP / WRITE SAME(UNMAP) / GET LBA STATUS meaningful (SBC-5 4.7).
tadm --mode logicalunit --op update --tid 1 --lun "$LUN" --params thin_provisioning=1
tadm --mode target --op bind --tid 1 --initiator-address ALL

# --- 4. capture -------------------------------------------------------------------------------
# -B 1024: a smaller kernel buffer drops packets on lo at these rates.
# dumpcap prints "Capturing on" before a ring this size is live (it can lag by seconds), so
# readiness is proven instead: UDP probes to a closed port are sent until dumpcap counts one.
# The probes are the first frames of the raw file and are cut off before publishing.
PROBE_PORT=$(( PORT == 9 ? 10 : 9 ))
dumpcap -i lo -B 1024 -f "tcp port $PORT or (udp and dst port $PROBE_PORT)" \
  -w "$WORK/raw.pcapng" >"$WORK/dumpcap.log" 2>&1 &
DUMPCAP_PID=$!
ready=0
for _ in $(seq 150); do
  kill -0 "$DUMPCAP_PID" 2>/dev/null || { cat "$WORK/dumpcap.log" >&2; log "dumpcap exited"; exit 1; }
  echo probe 2>/dev/null >"/dev/udp/127.0.0.1/$PROBE_PORT" || true
  if grep -qE 'Packets( captured)?: [1-9]' "$WORK/dumpcap.log"; then ready=1; break; fi
  sleep 0.2
done
[[ $ready -eq 1 ]] || { cat "$WORK/dumpcap.log" >&2; log "dumpcap never saw a probe packet"; exit 1; }
sleep 0.3   # let the last probe land before any iSCSI traffic

# --- 5. workload ------------------------------------------------------------------------------
declare -a STEP_RESULTS=()
step() {  # step <seconds> <label> <command...>: run bounded, never abort the run
  local secs="$1" label="$2"; shift 2
  local rc=0
  timeout -k 5 "$secs" "$@" >"$WORK/step.log" 2>&1 || rc=$?
  STEP_RESULTS+=("$(printf '%-48s rc=%d' "$label" "$rc")")
  if [[ $rc -ne 0 ]]; then sed 's/^/    /' "$WORK/step.log" | tail -5 >&2; fi
  cat "$WORK/step.log" >>"$WORK/workload.log"
}

step 30 "iscsi-ls -s (discovery + REPORT LUNS)" iscsi-ls -s "iscsi://127.0.0.1:$PORT"
step 30 "iscsi-inq standard" iscsi-inq "$URL"
for page in 0x00 0x80 0x83 0xb0 0xb1 0xb2; do
  step 30 "iscsi-inq VPD $page" iscsi-inq -e 1 -c "$page" "$URL"
done
step 30 "iscsi-readcapacity16" iscsi-readcapacity16 "$URL"
step 30 "iscsi-swp on (MODE SENSE/SELECT)" iscsi-swp -s on "$URL"
step 30 "iscsi-swp off" iscsi-swp -s off "$URL"

# libiscsi itself through ctypes, for what the shipped tools never send: SYNCHRONIZE CACHE,
# READ/WRITE(6/12/16), multi-PDU transfers (R2T, Data-Out), queued commands, bad CDBs.
# This session negotiates HeaderDigest=CRC32C, so the capture holds digested PDUs too.
cat >"$WORK/workload.py" <<'PY'
import ctypes as C, select, sys

so, portal, target, lun, digest = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
L = C.CDLL(so)
vp, i32, u32, u64 = C.c_void_p, C.c_int, C.c_uint32, C.c_uint64
def proto(name, res, *args):
    f = getattr(L, name); f.restype = res; f.argtypes = list(args); return f
CB = C.CFUNCTYPE(None, vp, i32, vp, vp)
create = proto("iscsi_create_context", vp, C.c_char_p)
set_tn = proto("iscsi_set_targetname", i32, vp, C.c_char_p)
set_st = proto("iscsi_set_session_type", i32, vp, i32)
set_hd = proto("iscsi_set_header_digest", i32, vp, i32)
connect = proto("iscsi_full_connect_sync", i32, vp, C.c_char_p, i32)
geterr = proto("iscsi_get_error", C.c_char_p, vp)
logout = proto("iscsi_logout_sync", i32, vp)
destroy = proto("iscsi_destroy_context", i32, vp)
free_task = proto("scsi_free_scsi_task", None, vp)
tur = proto("iscsi_testunitready_sync", vp, vp, i32)
rd6 = proto("iscsi_read6_sync", vp, vp, i32, u32, u32, i32)
rd10 = proto("iscsi_read10_sync", vp, vp, i32, u32, u32, i32, i32, i32, i32, i32, i32)
wr10 = proto("iscsi_write10_sync", vp, vp, i32, u32, C.c_char_p, u32, i32, i32, i32, i32, i32, i32)
rd12 = proto("iscsi_read12_sync", vp, vp, i32, u32, u32, i32, i32, i32, i32, i32, i32)
wr12 = proto("iscsi_write12_sync", vp, vp, i32, u32, C.c_char_p, u32, i32, i32, i32, i32, i32, i32)
rd16 = proto("iscsi_read16_sync", vp, vp, i32, u64, u32, i32, i32, i32, i32, i32, i32)
wr16 = proto("iscsi_write16_sync", vp, vp, i32, u64, C.c_char_p, u32, i32, i32, i32, i32, i32, i32)
sync10 = proto("iscsi_synchronizecache10_sync", vp, vp, i32, i32, i32, i32, i32)
sync16 = proto("iscsi_synchronizecache16_sync", vp, vp, i32, u64, u32, i32, i32)
verify10 = proto("iscsi_verify10_sync", vp, vp, i32, C.c_char_p, u32, u32, i32, i32, i32, i32)
prefetch10 = proto("iscsi_prefetch10_sync", vp, vp, i32, u32, i32, i32, i32)
ws16 = proto("iscsi_writesame16_sync", vp, vp, i32, u64, C.c_char_p, u32, u32, i32, i32, i32, i32)
lbastat = proto("iscsi_get_lba_status_sync", vp, vp, i32, u64, u32)
class UnmapDescriptor(C.Structure):
    _fields_ = [("lba", u64), ("num", u32)]
unmap = proto("iscsi_unmap_sync", vp, vp, i32, i32, i32, C.POINTER(UnmapDescriptor), i32)
create_task = proto("scsi_create_task", vp, i32, C.c_char_p, i32, i32)
cmd_sync = proto("iscsi_scsi_command_sync", vp, vp, i32, vp, vp)
rd10_task = proto("iscsi_read10_task", vp, vp, i32, u32, u32, i32, i32, i32, i32, i32, i32, CB, vp)
wr10_task = proto("iscsi_write10_task", vp, vp, i32, u32, C.c_char_p, u32, i32, i32, i32, i32, i32, i32, CB, vp)
get_fd = proto("iscsi_get_fd", i32, vp)
which = proto("iscsi_which_events", i32, vp)
service = proto("iscsi_service", i32, vp, i32)

BS = 512
XFER_NONE, XFER_READ = 0, 1
ctx = create(b"iqn.2026-11.test.scsitrace:workload")
set_tn(ctx, target.encode())
set_st(ctx, 2)                                   # normal session
set_hd(ctx, {"none": 0, "crc32c": 3}[digest])
if connect(ctx, portal.encode(), lun) != 0:
    sys.exit("workload: login failed: %s" % geterr(ctx).decode())

def report(task, what):
    if not task:
        sys.exit("workload: %s: %s" % (what, geterr(ctx).decode()))
    st = C.cast(task, C.POINTER(i32))[0]         # struct scsi_task starts with int status
    print("workload: %-40s status 0x%02x" % (what, st))
    free_task(task)

def pattern(nblocks, seed):
    return bytes((seed + i) & 0xFF for i in range(nblocks * BS))

def raw(cdb, direction, length, what):
    report(cmd_sync(ctx, lun, create_task(len(cdb), bytes(cdb), direction, length), None), what)

report(tur(ctx, lun), "TEST UNIT READY")
report(wr10(ctx, lun, 0, pattern(8, 1), 8 * BS, BS, 0, 0, 0, 0, 0), "WRITE(10) lba 0 x8")
report(rd10(ctx, lun, 0, 8 * BS, BS, 0, 0, 0, 0, 0), "READ(10) lba 0 x8")
report(wr10(ctx, lun, 1000, pattern(1, 7), BS, BS, 0, 0, 1, 0, 0), "WRITE(10) FUA lba 1000 x1")
report(sync10(ctx, lun, 0, 0, 0, 0), "SYNCHRONIZE CACHE(10) whole LU")
report(wr12(ctx, lun, 2048, pattern(4, 3), 4 * BS, BS, 0, 0, 0, 0, 0), "WRITE(12) lba 2048 x4")
report(rd12(ctx, lun, 2048, 4 * BS, BS, 0, 0, 0, 0, 0), "READ(12) lba 2048 x4")
report(wr16(ctx, lun, 131000, pattern(16, 9), 16 * BS, BS, 0, 0, 0, 0, 0), "WRITE(16) lba 131000 x16")
report(rd16(ctx, lun, 131000, 16 * BS, BS, 0, 0, 0, 0, 0), "READ(16) lba 131000 x16")
report(sync16(ctx, lun, 131000, 16, 0, 0), "SYNCHRONIZE CACHE(16) lba 131000 x16")
report(rd6(ctx, lun, 100, 2 * BS, BS), "READ(6) lba 100 x2")
report(wr10(ctx, lun, 4096, pattern(512, 5), 512 * BS, BS, 0, 0, 0, 0, 0), "WRITE(10) lba 4096 x512 (R2T)")
report(rd10(ctx, lun, 4096, 512 * BS, BS, 0, 0, 0, 0, 0), "READ(10) lba 4096 x512")
report(verify10(ctx, lun, None, 0, 4096, 0, 0, 0, BS), "VERIFY(10) lba 4096")
report(prefetch10(ctx, lun, 4096, 64, 0, 0), "PRE-FETCH(10) lba 4096 x64")
report(ws16(ctx, lun, 8192, bytes(BS), BS, 256, 0, 1, 0, 0), "WRITE SAME(16) UNMAP lba 8192 x256")
report(unmap(ctx, lun, 0, 0, (UnmapDescriptor * 2)((16384, 128), (20000, 8)), 2), "UNMAP 2 descriptors")
report(lbastat(ctx, lun, 16384, 64), "GET LBA STATUS lba 16384")
report(rd10(ctx, lun, 131070, 4 * BS, BS, 0, 0, 0, 0, 0), "READ(10) past end")
report(rd16(ctx, lun, 1 << 40, BS, BS, 0, 0, 0, 0, 0), "READ(16) lba 2^40")
report(sync10(ctx, lun, 200000, 1, 0, 0), "SYNCHRONIZE CACHE(10) past end")
raw([0xC5, 0, 0, 0, 0, 0], XFER_NONE, 0, "vendor opcode 0xC5")
raw([0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0xFF], XFER_READ, BS, "READ(10) control byte 0xFF")
raw([0x12, 1, 0xEE, 0, 255, 0], XFER_READ, 255, "INQUIRY VPD 0xEE")
raw([0x1A, 0, 0x3F, 0, 255, 0], XFER_READ, 255, "MODE SENSE(6) all pages")

# Queued I/O: up to 8 tagged commands in flight on one connection.
state = {"pending": 0, "not_good": 0}
@CB
def done(_ctx, st, _data, _priv):
    state["pending"] -= 1
    state["not_good"] += st != 0
def drain(limit):
    fd = get_fd(ctx)
    while state["pending"] > limit:
        ev = which(ctx)
        r, w, _ = select.select([fd] if ev & 1 else [], [fd] if ev & 4 else [], [], 5)
        revents = (1 if r else 0) | (4 if w else 0)
        if not revents:
            sys.exit("workload: queued I/O stalled")
        if service(ctx, revents) < 0:
            sys.exit("workload: %s" % geterr(ctx).decode())
tasks, buf = [], pattern(8, 11)
for i in range(48):
    lba = 30000 + (i * 37) % 2000
    if i % 3 == 2:
        t = wr10_task(ctx, lun, lba, buf, 8 * BS, BS, 0, 0, 0, 0, 0, done, None)
    else:
        t = rd10_task(ctx, lun, lba, 8 * BS, BS, 0, 0, 0, 0, 0, done, None)
    if not t:
        sys.exit("workload: queueing failed: %s" % geterr(ctx).decode())
    tasks.append(t)
    state["pending"] += 1
    drain(7)
drain(0)
for t in tasks:
    free_task(t)
print("workload: 48 queued READ/WRITE(10), depth <= 8, %d not GOOD" % state["not_good"])
report(sync10(ctx, lun, 0, 0, 0, 1), "SYNCHRONIZE CACHE(10) IMMED")
logout(ctx)
destroy(ctx)
PY
# tgt answers HeaderDigest with its own configured preference whatever the initiator lists
# first, so digests are switched on at the target only for this one session (RFC 7143 13.1).
tadm --mode target --op update --tid 1 --name HeaderDigest --value CRC32C
step 60 "libiscsi ctypes workload (HeaderDigest=CRC32C)" \
  python3 "$WORK/workload.py" "$LIBISCSI_SO" "127.0.0.1:$PORT" "$TARGET_IQN" "$LUN" crc32c
tadm --mode target --op update --tid 1 --name HeaderDigest --value None

# A bounded slice of libiscsi's conformance suite: small transfers, many CHECK CONDITIONs
# (LBA out of range, write protect, miscompare, invalid fields), reservations, task management.
# The *.Simple read/write/verify tests are left out: each moves 30-170 MB.
CU_TESTS=(
  SCSI.TestUnitReady.Simple
  SCSI.Inquiry.Standard SCSI.Inquiry.EVPD SCSI.Inquiry.SupportedVPD SCSI.Inquiry.BlockLimits
  SCSI.ReadCapacity10.Simple SCSI.ReadCapacity16.Simple SCSI.ReadCapacity16.Alloclen
  SCSI.ModeSense6.AllPages SCSI.ModeSense6.Control SCSI.ModeSense6.Residuals SCSI.ModeSense6.Control-SWP
  SCSI.ReportSupportedOpcodes.Simple SCSI.ReportSupportedOpcodes.OneCommand
  SCSI.Read10.BeyondEol SCSI.Read10.ZeroBlocks SCSI.Read10.DpoFua SCSI.Read10.ReadProtect
  SCSI.Read16.DpoFua
  SCSI.Write10.ZeroBlocks SCSI.Write10.DpoFua SCSI.Write10.WriteProtect SCSI.Write16.DpoFua
  SCSI.WriteVerify10.Dpo SCSI.Verify10.Dpo SCSI.Verify16.Flags
  SCSI.CompareAndWrite.Simple SCSI.CompareAndWrite.Miscompare
  SCSI.Prefetch10.Flags SCSI.GetLBAStatus.BeyondEol
  SCSI.WriteSame10.WriteProtect SCSI.WriteSame16.UnmapUnaligned SCSI.Unmap.VPD
  SCSI.ProutRegister.Simple SCSI.ProutReserve.AccessWE SCSI.PrinReadKeys.Simple
  SCSI.Reserve6.Simple SCSI.Reserve6.2Initiators SCSI.Reserve6.LUNReset
  iSCSI.iSCSITMF.AbortTaskSimpleAsync iSCSI.iSCSITMF.LUNResetSimpleAsync
  iSCSI.iSCSIResiduals.Read10Residuals iSCSI.iSCSIResiduals.Read10Invalid iSCSI.iSCSIResiduals.Write10Residuals
  iSCSI.iSCSIcmdsn.iSCSICmdSnTooHigh
  SCSI.Read6.BeyondEol SCSI.Read12.DpoFua SCSI.Write12.DpoFua SCSI.Verify12.Dpo
  SCSI.WriteVerify16.Flags SCSI.WriteAtomic16.Simple SCSI.OrWrite.DpoFua SCSI.Prefetch16.Flags
  SCSI.Inquiry.AllocLength SCSI.ReadDefectData10.Simple SCSI.ReportSupportedOpcodes.RCTD
  SCSI.PrinReportCapabilities.Simple SCSI.ProutClear.Simple SCSI.ProutPreempt.RemoveRegistration
  SCSI.ExtendedCopy.ParamHdr SCSI.ReceiveCopyResults.OpParams
)
CU_PASSED=0; CU_FAILED=0; CU_NOT_RUN=(); CU_FAILED_NAMES=()
for t in "${CU_TESTS[@]}"; do
  rc=0
  timeout -k 5 60 iscsi-test-cu --dataloss --silent --test="$t" "$URL" >"$WORK/cu.log" 2>&1 || rc=$?
  cat "$WORK/cu.log" >>"$WORK/workload.log"
  # CUnit run summary line: "tests  <total> <ran> <passed> <failed> <inactive>"
  read -r _ _ ran passed failed _ < <(grep -E '^[[:space:]]+tests[[:space:]]' "$WORK/cu.log" || echo "x x 0 0 0 0")
  if [[ "${ran:-0}" -eq 0 ]]; then CU_NOT_RUN+=("$t (rc=$rc)"); fi
  if [[ "${failed:-0}" -gt 0 ]]; then CU_FAILED_NAMES+=("$t"); fi
  CU_PASSED=$((CU_PASSED + ${passed:-0})); CU_FAILED=$((CU_FAILED + ${failed:-0}))
done
STEP_RESULTS+=("$(printf '%-48s %d passed, %d failed (target deviations), %d not run' \
  "iscsi-test-cu (${#CU_TESTS[@]} tests)" "$CU_PASSED" "$CU_FAILED" "${#CU_NOT_RUN[@]}")")

# --- 6. stop, check, publish ------------------------------------------------------------------
sleep 0.5
kill -INT "$DUMPCAP_PID"; wait "$DUMPCAP_PID" || true; DUMPCAP_PID=""
stats="$(grep -E 'Packets received/dropped' "$WORK/dumpcap.log" || true)"
dropped="$(sed -nE 's/.*: [0-9]+\/([0-9]+) .*/\1/p' <<<"$stats")"

printf '%s\n' "${STEP_RESULTS[@]}" >&2
for t in "${CU_NOT_RUN[@]}"; do log "test did not run: $t"; done
[[ ${#CU_FAILED_NAMES[@]} -eq 0 ]] || log "tests that failed against tgt: ${CU_FAILED_NAMES[*]}"
log "dumpcap: ${stats:-no statistics line}"
if [[ "${dropped:-1}" != "0" ]]; then
  log "dumpcap dropped packets (or printed no statistics); capture NOT published"; exit 1
fi
# Drop the leading probe frames (all UDP, all before the first iSCSI packet).
probes=$(tshark -n -r "$WORK/raw.pcapng" -Y udp -T fields -e frame.number 2>/dev/null | tail -n 1)
first_tcp=$(tshark -n -r "$WORK/raw.pcapng" -Y tcp -T fields -e frame.number 2>/dev/null | sed -n 1p)
if [[ -z "$probes" || -z "$first_tcp" || "$probes" -ge "$first_tcp" ]]; then
  log "unexpected probe layout (last probe frame '${probes}', first TCP frame '${first_tcp}')"; exit 1
fi
editcap "$WORK/raw.pcapng" "$WORK/capture.pcapng" "1-$probes"
mkdir -p "$(dirname "$OUT")"
install -m 0644 "$WORK/capture.pcapng" "$OUT"
size=$(stat -c %s "$OUT")
log "wrote $OUT ($size bytes)"
if [[ $size -gt $((5 * 1024 * 1024)) ]]; then log "warning: capture is over 5 MiB; shrink the workload"; fi
