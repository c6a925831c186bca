// SPDX-License-Identifier: Apache-2.0
// A test stand-in for the app's slot store: a Java map persisted to one 0600 file. NOT for apps.
package io.nativeauth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Clearly a test stand-in: records kept in a map and written, base64 in plain text, to one file created
 * 0600 (temporary file + rename). An Android app encrypts each record with a Keystore key instead
 * (docs/mobile.md). Faults on demand for the callback-failure tests, and a gate that holds loads.
 */
final class TestSlotStore implements SlotStore {
  private final Path file;
  private final Map<SlotKey, byte[]> slots = new LinkedHashMap<>();
  final AtomicInteger loads = new AtomicInteger();
  final AtomicInteger saves = new AtomicInteger();
  final List<Thread> loadThreads = new java.util.concurrent.CopyOnWriteArrayList<>();
  volatile Supplier<Exception> failLoad;
  volatile Supplier<Exception> failSave;
  volatile Runnable onLoad; // runs inside load(), on the calling thread
  private volatile CountDownLatch gate; // while set, load() signals `held` and waits for it
  volatile CountDownLatch held = new CountDownLatch(1);

  TestSlotStore(Path file) {
    this.file = file;
  }

  /** The next load() blocks (after counting down {@link #held}) until {@link #openGate()}. */
  void holdLoads() {
    held = new CountDownLatch(1);
    gate = new CountDownLatch(1);
  }

  void openGate() {
    CountDownLatch g = gate;
    gate = null;
    if (g != null) g.countDown();
  }

  Path file() {
    return file;
  }

  synchronized int size() {
    return slots.size();
  }

  @Override
  public byte[] load(SlotKey key) throws Exception {
    loads.incrementAndGet();
    loadThreads.add(Thread.currentThread());
    if (onLoad != null) onLoad.run();
    if (failLoad != null) throw failLoad.get();
    CountDownLatch g = gate;
    if (g != null) {
      held.countDown();
      if (!g.await(120, java.util.concurrent.TimeUnit.SECONDS)) throw new IllegalStateException("gate never opened");
    }
    synchronized (this) {
      byte[] record = slots.get(key);
      return record == null ? null : record.clone();
    }
  }

  @Override
  public synchronized void save(SlotKey key, byte[] record) throws Exception {
    if (failSave != null) throw failSave.get();
    slots.put(key, record.clone());
    saves.incrementAndGet();
    persist();
  }

  @Override
  public synchronized void erase(SlotKey key) throws Exception {
    slots.remove(key);
    persist();
  }

  @Override
  public synchronized List<SlotKey> list(String issuer) {
    List<SlotKey> keys = new ArrayList<>();
    for (SlotKey k : slots.keySet()) {
      if (k.issuer().equals(issuer)) keys.add(k);
    }
    return keys;
  }

  private void persist() throws IOException {
    StringBuilder text = new StringBuilder();
    for (Map.Entry<SlotKey, byte[]> e : slots.entrySet()) {
      SlotKey k = e.getKey();
      text.append(k.issuer()).append('\t').append(k.clientId()).append('\t').append(k.profile()).append('\t')
          .append(Base64.getEncoder().encodeToString(e.getValue())).append('\n');
    }
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.write(tmp, text.toString().getBytes(StandardCharsets.UTF_8));
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
