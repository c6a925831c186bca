#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs one JUnit 5 test class of tests/jvm in a JVM with -Xcheck:jni, and fails when the JVM reported a JNI
# problem (a call with an exception pending, local references past the frame's capacity, a bad reference,
# ...) even if every test passed: -Xcheck:jni only warns, on the JVM's own output.
#   run-jvm-test.sh <java> <class path> <libnativeauth_jni.so> <tests/support> <errors.h> <test class>
# $NATIVEAUTH_JVM_PRELOAD (the sanitizer build sets it): a library to LD_PRELOAD into the JVM only, not into
# this script or grep.
set -uo pipefail
java=$1 classpath=$2 library=$3 support=$4 errors_h=$5 class=$6
log=$(mktemp "${TMPDIR:-/tmp}/nativeauth-jvm-test-XXXXXX")
trap 'rm -f "$log"' EXIT
preload=()
[[ -n ${NATIVEAUTH_JVM_PRELOAD:-} ]] && preload=(env "LD_PRELOAD=$NATIVEAUTH_JVM_PRELOAD")
"${preload[@]}" "$java" -Xcheck:jni \
  -Dio.nativeauth.library="$library" -Dnativeauth.test.support="$support" -Dnativeauth.test.errors_h="$errors_h" \
  -cp "$classpath" org.junit.platform.console.ConsoleLauncher \
  --disable-banner --disable-ansi-colors --details=tree --fail-if-no-tests --select-class "$class" >"$log" 2>&1
rc=$?
cat "$log"
# HotSpot's -Xcheck:jni lines: "WARNING in native method: ...", "FATAL ERROR in native method: ...",
# "WARNING: JNI local refs: N, exceeds warning threshold ...".
if grep -nE 'WARNING in native method|FATAL ERROR in native method|JNI local refs|JNI (global|weak) ref' "$log"; then
  echo "run-jvm-test: -Xcheck:jni reported the JNI problems above"
  rc=1
fi
exit $rc
